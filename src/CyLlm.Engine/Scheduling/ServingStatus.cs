namespace CyLlm.Engine.Scheduling;

/// <summary>
/// A point-in-time snapshot of the serving engine for status endpoints and benchmarks. Counts and KV usage are
/// what the loop last published (at most one iteration old); latency percentiles cover the last
/// <see cref="ServingOptions.PercentileWindow"/> samples of each kind, in seconds.
/// </summary>
public sealed record ServingStatus
{
    public required int Running { get; init; }
    public required int Waiting { get; init; }
    public required int UsedBlocks { get; init; }
    public required int TotalBlocks { get; init; }

    /// <summary>UsedBlocks / TotalBlocks, 0..1.</summary>
    public required double KvUsage { get; init; }

    public required long PrefixQueries { get; init; }
    public required long PrefixHits { get; init; }

    /// <summary>PrefixHits / PrefixQueries (blocks), 0 before any query.</summary>
    public required double PrefixHitRate { get; init; }

    public required long Preemptions { get; init; }

    /// <summary>Submission to first scheduling.</summary>
    public required LatencyPercentiles QueueTime { get; init; }

    /// <summary>Submission to first token.</summary>
    public required LatencyPercentiles TimeToFirstToken { get; init; }

    /// <summary>Between consecutive tokens of a request.</summary>
    public required LatencyPercentiles InterTokenLatency { get; init; }

    /// <summary>Submission to completion.</summary>
    public required LatencyPercentiles EndToEnd { get; init; }

    /// <summary>Share of an iteration outside the forward pass (0..1).</summary>
    public required LatencyPercentiles SchedulerOverhead { get; init; }
}
