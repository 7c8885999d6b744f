using System.Text;
using CyLlm.Engine.Sampling;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Generation;

/// <summary>
/// What one sampled token does to a generation — the single rule the single-stream engine and the serving engine
/// share, so they cannot drift: an end-of-generation token (unless <c>ignore_eos</c>) or a stop token id ends it with
/// <see cref="FinishReason.Stop"/> and is not part of the output (OpenAI and vLLM behaviour); any other token is
/// accepted — decoded incrementally (UTF-8 pieces held until whole), stop strings held back until they can no longer
/// match — and then ends it on a completed stop string (<see cref="FinishReason.Stop"/>), on <c>max_tokens</c>, or when
/// prompt + output fill the context (<see cref="FinishReason.Length"/>, prompt + completion ≤ context as in the OpenAI
/// API and vLLM). <see cref="Flush"/> emits the held-back tail when the generation ends other than by a stop string
/// or a cancellation.
/// </summary>
public sealed class TokenAcceptor
{
    private readonly SamplingParams _sampling;
    private readonly HashSet<int> _ends;
    private readonly IncrementalDecoder _decoder;
    private readonly StopStringMatcher _stops;
    private readonly int _promptLength;
    private readonly int _contextTokens;

    public TokenAcceptor(SamplingParams sampling, ITokenizer tokenizer, int[] prompt, int contextTokens)
    {
        _sampling = sampling;
        _ends = [.. sampling.StopTokenIds];
        if (!sampling.IgnoreEos)
        {
            _ends.UnionWith(tokenizer.EndOfGenerationIds);
        }

        // llama2.c and llama.cpp drop the leading space of the first piece that directly follows BOS.
        _decoder = new IncrementalDecoder(tokenizer, stripLeadingSpace: prompt.Length > 0 && prompt[^1] == tokenizer.BosId, renderSpecial: sampling.RenderSpecialTokens);
        _stops = new StopStringMatcher(sampling.Stop);
        _promptLength = prompt.Length;
        _contextTokens = contextTokens;
    }

    /// <summary>The output text so far (stop strings excluded, held-back text not yet included).</summary>
    public StringBuilder Text { get; } = new();

    /// <summary>Tokens accepted into the output (phase 1).</summary>
    public int Generated { get; private set; }

    /// <summary>True once a stop string completed.</summary>
    public bool Stopped => _stops.Stopped;

    /// <summary>
    /// Applies one sampled token. Returns null to go on, or why the generation ends; <paramref name="emitted"/> is the
    /// accepted token with its text delta, or null when the token ended the generation without being accepted.
    /// The two phases below in one call (the single-stream engine).
    /// </summary>
    public FinishReason? Accept(SampleResult sample, out GeneratedToken? emitted)
    {
        var verdict = AcceptId(sample.TokenId, out bool accepted);
        if (!accepted)
        {
            emitted = null;
            return verdict;
        }

        emitted = new GeneratedToken(sample.TokenId, AcceptText(sample.TokenId), sample);
        return _stops.Stopped ? FinishReason.Stop : verdict;
    }

    /// <summary>
    /// Phase 1, on the token id alone (the serving engine's loop thread, which must know at once whether the sequence
    /// runs on): an end token ends it unaccepted (<paramref name="accepted"/> false, <see cref="FinishReason.Stop"/>);
    /// any other token is accepted, and ends it on <c>max_tokens</c> or a full context (<see cref="FinishReason.Length"/>).
    /// Touches only the id-side state, never the text side, so the two phases may run on different threads.
    /// </summary>
    public FinishReason? AcceptId(int tokenId, out bool accepted)
    {
        if (Generated >= _sampling.MaxTokens)
        {
            accepted = false; // max_tokens 0: the prompt is scored (echo, logprobs) and nothing is generated
            return FinishReason.Length;
        }

        if (_ends.Contains(tokenId))
        {
            accepted = false;
            return FinishReason.Stop;
        }

        accepted = true;
        Generated++;
        return Generated >= _sampling.MaxTokens || _promptLength + Generated >= _contextTokens ? FinishReason.Length : null;
    }

    /// <summary>
    /// Phase 2, for a token phase 1 accepted (the serving engine's output processor, off the loop thread): decodes it
    /// incrementally and runs the stop strings; returns the text delta. A completed stop string shows in
    /// <see cref="Stopped"/> and takes precedence over phase 1's <see cref="FinishReason.Length"/> for the same token.
    /// </summary>
    public string AcceptText(int tokenId)
    {
        string delta = _stops.Push(_decoder.Push(tokenId));
        Text.Append(delta);
        return delta;
    }

    /// <summary>The held-back tail (an incomplete UTF-8 piece, text that could still have become a stop string) as a
    /// final token with id −1, or null when there is none or the generation was cancelled or stopped by a string.</summary>
    public GeneratedToken? Flush(FinishReason reason)
    {
        if (reason == FinishReason.Cancelled || _stops.Stopped)
        {
            return null;
        }

        string tail = _stops.Push(_decoder.Flush()) + _stops.Flush();
        if (tail.Length == 0)
        {
            return null;
        }

        Text.Append(tail);
        return new GeneratedToken(-1, tail, default);
    }
}
