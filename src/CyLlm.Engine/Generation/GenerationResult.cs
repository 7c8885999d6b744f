using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Generation;

/// <summary>The outcome of one generation, with timings in milliseconds.</summary>
public sealed record GenerationResult(
    int[] PromptTokenIds,
    int[] TokenIds,
    string Text,
    FinishReason FinishReason,
    IReadOnlyList<SampleResult> Samples,
    double PromptMs,
    double GenerationMs,
    double TtftMs)
{
    /// <summary>Prompt tokens served from the prefix cache.</summary>
    public int CachedTokens { get; init; }

    /// <summary>When asked for: the logprob of each prompt token given the ones before it, by position; the first is
    /// null (nothing precedes it), as the OpenAI completions API reports them with <c>echo</c>.</summary>
    public IReadOnlyList<SampleResult?>? PromptLogprobs { get; init; }

    public double PromptTokensPerSecond => PromptMs > 0 ? PromptTokenIds.Length / (PromptMs / 1000) : 0;

    public double GenerationTokensPerSecond => GenerationMs > 0 && TokenIds.Length > 1 ? (TokenIds.Length - 1) / (GenerationMs / 1000) : 0;
}
