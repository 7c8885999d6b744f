using System.Diagnostics.Metrics;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// The serving engine's instruments (Meter "CyLlm.Engine"; the gateway exports them), plus sliding windows
/// of recent latencies for percentiles in `cyllm bench` and status endpoints.
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "CyLlm.Engine";

    private readonly Meter _meter = new(MeterName);

    public ServingMetrics(Func<int> running, Func<int> waiting, Func<double> kvUsage)
        : this(running, waiting, kvUsage, 4096)
    {
    }

    /// <param name="window">Samples kept per latency window (the last N requests or tokens).</param>
    public ServingMetrics(Func<int> running, Func<int> waiting, Func<double> kvUsage, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        TtftWindow = new SlidingWindow(window);
        SchedulerOverhead = new SlidingWindow(window);
        InterTokenWindow = new SlidingWindow(window * 4);
        QueueTimeWindow = new SlidingWindow(window);
        EndToEndWindow = new SlidingWindow(window);
        QueueTime = _meter.CreateHistogram<double>("cyllm_queue_time_seconds", "s");
        Ttft = _meter.CreateHistogram<double>("cyllm_time_to_first_token_seconds", "s");
        InterToken = _meter.CreateHistogram<double>("cyllm_inter_token_latency_seconds", "s");
        EndToEnd = _meter.CreateHistogram<double>("cyllm_e2e_request_latency_seconds", "s");
        PromptTokens = _meter.CreateCounter<long>("cyllm_prompt_tokens_total");
        GenerationTokens = _meter.CreateCounter<long>("cyllm_generation_tokens_total");
        PrefixQueries = _meter.CreateCounter<long>("cyllm_prefix_cache_queries_total");
        PrefixHits = _meter.CreateCounter<long>("cyllm_prefix_cache_hits_total");
        Preemptions = _meter.CreateCounter<long>("cyllm_preemptions_total");
        _meter.CreateObservableGauge("cyllm_requests_running", running);
        _meter.CreateObservableGauge("cyllm_requests_waiting", waiting);
        _meter.CreateObservableGauge("cyllm_kv_cache_usage_ratio", kvUsage);
    }

    public Histogram<double> QueueTime { get; }
    public Histogram<double> Ttft { get; }
    public Histogram<double> InterToken { get; }
    public Histogram<double> EndToEnd { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> GenerationTokens { get; }
    public Counter<long> PrefixQueries { get; }
    public Counter<long> PrefixHits { get; }
    public Counter<long> Preemptions { get; }

    /// <summary>Recent time-to-first-token samples (seconds) for percentiles.</summary>
    public SlidingWindow TtftWindow { get; }

    /// <summary>Per iteration: the share of the step spent outside the forward pass (scheduling, sampling,
    /// bookkeeping), 0..1.</summary>
    public SlidingWindow SchedulerOverhead { get; }

    /// <summary>Recent inter-token latencies (seconds).</summary>
    public SlidingWindow InterTokenWindow { get; }

    /// <summary>Recent waits from submission to first scheduling (seconds).</summary>
    public SlidingWindow QueueTimeWindow { get; }

    /// <summary>Recent request latencies from submission to completion (seconds).</summary>
    public SlidingWindow EndToEndWindow { get; }

    /// <summary>Empties the latency windows (e.g. after a benchmark's warm-up); the meter's instruments keep counting.</summary>
    public void ClearWindows()
    {
        TtftWindow.Clear();
        SchedulerOverhead.Clear();
        InterTokenWindow.Clear();
        QueueTimeWindow.Clear();
        EndToEndWindow.Clear();
    }

    public void Dispose() => _meter.Dispose();
}
