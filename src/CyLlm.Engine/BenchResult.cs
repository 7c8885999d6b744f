namespace CyLlm.Engine;

/// <summary>One `cyllm bench` measurement (medians over repetitions).</summary>
public sealed record BenchResult(
    int PromptTokens,
    int GenTokens,
    int Threads,
    int Repetitions,
    double PromptTokensPerSecond,
    double GenerationTokensPerSecond,
    double TtftMs,
    long ModelFileBytes,
    long KvCacheBytes,
    long ResidentBytesAfterLoad,
    long PeakResidentBytes);
