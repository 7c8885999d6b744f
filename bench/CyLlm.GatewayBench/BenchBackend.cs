using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Hosting;

namespace CyLlm.GatewayBench;

/// <summary>A model stand-in: a byte tokenizer and "x" tokens, one every <see cref="TokenInterval"/> (zero = at once),
/// so the benchmarks measure the gateway, not a model.</summary>
public sealed class BenchBackend(int maxConcurrency, TimeSpan tokenInterval) : IInferenceBackend
{
    public TimeSpan TokenInterval { get; } = tokenInterval;

    public string ModelId => "bench";

    public int ContextTokens => 4096;

    public int VocabSize => 256;

    public int MaxConcurrency { get; } = maxConcurrency;

    public int[] Encode(string text, bool? addBos = null)
    {
        var ids = new int[text.Length + 1];
        ids[0] = 1;
        for (int i = 0; i < text.Length; i++)
        {
            ids[i + 1] = text[i] & 0xFF;
        }

        return ids;
    }

    public string Decode(IReadOnlyList<int> ids) => new(ids.Select(i => (char)i).ToArray());

    public byte[] PieceBytes(int id) => [(byte)id];

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => string.Join("\n", messages.Select(m => m.Role + ": " + m.Content));

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => Encode(RenderChat(messages));

    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        var prompt = request.PromptTokens!.ToArray();
        var ids = new int[request.Sampling.MaxTokens];
        for (int i = 0; i < ids.Length; i++)
        {
            if (TokenInterval > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(TokenInterval))
            {
                return new GenerationResult(prompt, ids[..i], new string('x', i), FinishReason.Cancelled, [], 0, 0, 0);
            }

            ids[i] = 'x';
            onToken?.Invoke(new GeneratedToken('x', "x", new SampleResult('x', -0.5f, null)));
        }

        return new GenerationResult(prompt, ids, new string('x', ids.Length), FinishReason.Length, [], 0, 0, 0);
    }

    public void Dispose()
    {
    }
}
