using System.Diagnostics.Metrics;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Instruments of KV transfer (Meter "CyLlm.Disaggregation"), plus totals for tests and status. Histograms per request:
/// transfer latency (Init to last chunk), allocation latency (per destination allocation), bytes, chunks, resumes.
/// </summary>
public sealed class DisaggregationMetrics : IDisposable
{
    public const string MeterName = "CyLlm.Disaggregation";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _failures;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private long _duplicateCount;
    private long _rejectedCount;
    private long _failureCount;
    private long _successCount;
    private long _bytes;
    private long _transferMicros;

    public DisaggregationMetrics(string role)
    {
        Role = role;
        TransferLatency = _meter.CreateHistogram<double>("cyllm_kv_transfer_latency_seconds", "s", "first to last KV chunk (including Resume round trips), per request");
        AllocationLatency = _meter.CreateHistogram<double>("cyllm_kv_allocation_latency_seconds", "s", "allocation of destination blocks (decode side)");
        BytesPerRequest = _meter.CreateHistogram<long>("cyllm_kv_transfer_bytes", "By", "KV bytes transferred per request");
        ChunksPerRequest = _meter.CreateHistogram<int>("cyllm_kv_transfer_chunks", "{chunk}", "chunks per request");
        ResumesPerRequest = _meter.CreateHistogram<int>("cyllm_kv_transfer_resumes", "{resume}", "Resumes per request");
        _duplicates = _meter.CreateCounter<long>("cyllm_kv_duplicates_ignored_total", "{message}", "repeated Init/Resume/chunks ignored");
        _failures = _meter.CreateCounter<long>("cyllm_kv_transfer_failures_total", "{room}", "failed rooms by reason");
        _rejected = _meter.CreateCounter<long>("cyllm_kv_rejected_connections_total", "{connection}", "connections that failed the shared-secret handshake or sent a frame before it");
    }

    public string Role { get; }

    public Histogram<double> TransferLatency { get; }

    public Histogram<double> AllocationLatency { get; }

    public Histogram<long> BytesPerRequest { get; }

    public Histogram<int> ChunksPerRequest { get; }

    public Histogram<int> ResumesPerRequest { get; }

    public long DuplicatesIgnored => Interlocked.Read(ref _duplicateCount);

    /// <summary>Connections dropped before they proved the shared secret.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedCount);

    public void RejectedConnection()
    {
        Interlocked.Increment(ref _rejectedCount);
        _rejected.Add(1, new KeyValuePair<string, object?>("role", Role));
    }

    public long Failures => Interlocked.Read(ref _failureCount);

    public long Successes => Interlocked.Read(ref _successCount);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Sum of the transfer latencies of successful rooms (first chunk to last chunk).</summary>
    public TimeSpan TransferTime => TimeSpan.FromMicroseconds(Interlocked.Read(ref _transferMicros));

    public void Duplicate(string message)
    {
        Interlocked.Increment(ref _duplicateCount);
        _duplicates.Add(1, new KeyValuePair<string, object?>("role", Role), new KeyValuePair<string, object?>("message", message));
    }

    public void Failure(TransferFailure reason)
    {
        Interlocked.Increment(ref _failureCount);
        _failures.Add(1, new KeyValuePair<string, object?>("role", Role), new KeyValuePair<string, object?>("reason", reason.ToString()));
    }

    public void Success(double seconds, long bytes, int chunks, int resumes)
    {
        Interlocked.Increment(ref _successCount);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _transferMicros, (long)(seconds * 1e6));
        var role = new KeyValuePair<string, object?>("role", Role);
        TransferLatency.Record(seconds, role);
        BytesPerRequest.Record(bytes, role);
        ChunksPerRequest.Record(chunks, role);
        ResumesPerRequest.Record(resumes, role);
    }

    public void Dispose() => _meter.Dispose();
}
