using System.Threading.Channels;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Hosting;

namespace CyLlm.GatewayBench;

/// <summary>A model stand-in: a byte tokenizer and "x" tokens, one every <see cref="TokenInterval"/> (zero = at once),
/// so the benchmarks measure the gateway, not a model. Like the serving engine it runs <c>maxConcurrency</c> generations
/// at once and queues the rest, without a thread per generation.</summary>
public sealed class BenchBackend(int maxConcurrency, TimeSpan tokenInterval) : IInferenceBackend
{
    private readonly SemaphoreSlim _slots = new(maxConcurrency, maxConcurrency);
    private int _waiting;

    public TimeSpan TokenInterval { get; } = tokenInterval;

    public int Waiting => Volatile.Read(ref _waiting);

    public string ModelId => "bench";

    public int ContextTokens => 4096;

    public int VocabSize => 256;

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

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        var tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new GenerationStream(tokens.Reader, started.Task, RunAsync(request, tokens.Writer, started, cancellationToken));
    }

    private async Task<GenerationResult> RunAsync(GenerationRequest request, ChannelWriter<GeneratedToken> tokens, TaskCompletionSource started, CancellationToken ct)
    {
        var prompt = request.PromptTokens!.ToArray();
        try
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await _slots.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return new GenerationResult(prompt, [], "", FinishReason.Cancelled, [], 0, 0, 0);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }

            try
            {
                started.TrySetResult();
                var ids = new int[request.Sampling.MaxTokens];
                for (int i = 0; i < ids.Length; i++)
                {
                    if (TokenInterval > TimeSpan.Zero)
                    {
                        try
                        {
                            await Task.Delay(TokenInterval, ct);
                        }
                        catch (OperationCanceledException)
                        {
                            return new GenerationResult(prompt, ids[..i], new string('x', i), FinishReason.Cancelled, [], 0, 0, 0);
                        }
                    }

                    ids[i] = 'x';
                    tokens.TryWrite(new GeneratedToken('x', "x", new SampleResult('x', -0.5f, null)));
                }

                return new GenerationResult(prompt, ids, new string('x', ids.Length), FinishReason.Length, [], 0, 0, 0);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            tokens.TryComplete();
        }
    }

    public void Dispose()
    {
    }
}
