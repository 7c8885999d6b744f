using System.Diagnostics;
using System.Text;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Tokenizers;

namespace CyLlm.Engine;

public sealed partial class InferenceEngine
{
    /// <summary>The model's tokenizer; null when the file has none and none was given.</summary>
    public ITokenizer? Tokenizer { get; private set; }

    private void InitTokenizer()
    {
        if (Model.Tokenizer is { } data)
        {
            Tokenizer = CyLlm.Tokenizers.Tokenizer.Create(data);
        }
    }

    private ITokenizer RequireTokenizer() =>
        Tokenizer ?? throw new InvalidOperationException("the model has no tokenizer; pass one with --tokenizer");

    /// <summary>Encodes a prompt as the model expects it (BOS by the model's rule unless overridden).</summary>
    public int[] Encode(string text, bool? addBos = null, bool parseSpecial = true)
    {
        var tok = RequireTokenizer();
        return tok.Encode(text, addBos ?? tok.AddBosByDefault, parseSpecial);
    }

    /// <summary>
    /// Generates a continuation of the request's prompt on the engine's single-stream session. Tokens are
    /// reported through <paramref name="onToken"/> as they are produced.
    /// </summary>
    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken = null, CancellationToken cancellationToken = default)
    {
        lock (_sessionLock)
        {
            return GenerateLocked(request, onToken, cancellationToken);
        }
    }

    private GenerationResult GenerateLocked(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        var tok = RequireTokenizer();
        var sp = request.Sampling;
        if (sp.Validate() is { } error)
        {
            throw new ArgumentException(error);
        }

        int[] prompt = request.PromptTokens is { } ids ? ids.ToArray() : Encode(request.Prompt, request.AddBos, request.ParseSpecial);
        if (prompt.Length == 0)
        {
            // Generation needs at least one token to condition on: start from BOS as llama2.c does.
            prompt = [tok.BosId >= 0 ? tok.BosId : 0];
        }

        foreach (int id in prompt)
        {
            if ((uint)id >= (uint)Config.VocabSize)
            {
                throw new ArgumentException($"prompt token id {id} is outside the vocabulary (0..{Config.VocabSize - 1})");
            }
        }

        if (prompt.Length >= ContextTokens)
        {
            throw new ArgumentException($"the prompt has {prompt.Length} tokens but the context holds {ContextTokens}");
        }

        var session = GetSession();
        var sampler = new Sampler(sp, tok.EndOfGenerationIds, prompt, tok);
        // The serving engine applies the same acceptance rule (EOG, stop ids, stop strings, max tokens, context).
        var acceptor = new TokenAcceptor(sp, tok, prompt, Math.Min(ContextTokens, session.Capacity));
        var generated = new List<int>(Math.Min(sp.MaxTokens, 4096));
        var samples = new List<SampleResult>();

        long t0 = Stopwatch.GetTimestamp();
        var logits = session.Append(prompt);
        double promptMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        double ttftMs = 0;
        long tGen = Stopwatch.GetTimestamp();
        var work = new float[Config.VocabSize];
        var one = new int[1];
        FinishReason finish;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                finish = FinishReason.Cancelled;
                break;
            }

            logits.CopyTo(work);
            var s = sampler.Sample(work);
            if (generated.Count == 0)
            {
                ttftMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                tGen = Stopwatch.GetTimestamp();
            }

            var verdict = acceptor.Accept(s, out var emitted);
            if (emitted is { } token)
            {
                generated.Add(s.TokenId);
                samples.Add(s);
                onToken?.Invoke(token);
            }

            if (verdict is { } reason)
            {
                finish = reason;
                break;
            }

            one[0] = s.TokenId;
            logits = session.Append(one);
        }

        if (acceptor.Flush(finish) is { } tail)
        {
            onToken?.Invoke(tail);
        }

        double genMs = Stopwatch.GetElapsedTime(tGen).TotalMilliseconds;
        return new GenerationResult(prompt, generated.ToArray(), acceptor.Text.ToString(), finish, samples, promptMs, genMs, ttftMs);
    }
}
