namespace CyLlm.Engine.Scheduling;

public sealed partial class ServingEngine
{
    /// <summary>A snapshot of load, KV usage, the prefix cache and latency percentiles; safe from any thread.</summary>
    public ServingStatus GetStatus()
    {
        long queries = PrefixQueries;
        long hits = PrefixHits;
        return new ServingStatus
        {
            Running = Volatile.Read(ref _runningCount),
            Waiting = Math.Max(0, Volatile.Read(ref _waitingCount)),
            UsedBlocks = UsedBlocks,
            TotalBlocks = TotalBlocks,
            KvUsage = KvUsage,
            PrefixQueries = queries,
            PrefixHits = hits,
            PrefixHitRate = queries == 0 ? 0 : (double)hits / queries,
            Preemptions = TotalPreemptions,
            QueueTime = Metrics.QueueTimeWindow.Percentiles(),
            TimeToFirstToken = Metrics.TtftWindow.Percentiles(),
            InterTokenLatency = Metrics.InterTokenWindow.Percentiles(),
            EndToEnd = Metrics.EndToEndWindow.Percentiles(),
            SchedulerOverhead = Metrics.SchedulerOverhead.Percentiles(),
        };
    }

    /// <summary>Blocks in use right now; read it on the loop thread only (e.g. from <see cref="OnLogits"/>), for tests.</summary>
    internal int UsedBlocksOnLoop => _pool.Used;

    /// <summary>Stopwatch ticks the output processor thread has spent so far.</summary>
    internal long OutputBusyTicks => _output.BusyTicks;

    /// <summary>Sees each row of logits before it is sampled: the request, the tokens it generated so far, and
    /// [vocab] logits valid only during the call. Runs on the loop thread; for tests.</summary>
    internal delegate void LogitsTap(ServingRequest request, int generated, ReadOnlySpan<float> logits);

    /// <summary>Set before submitting work (read by the loop thread each step).</summary>
    internal LogitsTap? OnLogits { get; set; }

    /// <summary>The request's explicit priority, else its tenant's default, else 0.</summary>
    internal int ResolvePriority(ServingRequest request)
    {
        if (request.HasExplicitPriority)
        {
            return request.Priority;
        }

        return request.TenantId is { } tenant && _options.TenantDefaultPriorities is { } map && map.TryGetValue(tenant, out int p) ? p : 0;
    }
}
