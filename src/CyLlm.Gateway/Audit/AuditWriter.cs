using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using CyLlm.Jobs.Storage;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Audit;

/// <summary>
/// Writes audit rows off the request path: requests drop rows into a bounded channel (<see cref="Capacity"/>) and one
/// background loop appends them in batches of up to <see cref="MaxBatch"/> rows per transaction. When the channel is
/// full (the store is slower than the traffic) a row is dropped, counted in <c>cyllm_audit_dropped_total</c> and
/// logged (at most once per 10 s) — a request never waits for its audit row. Disposing flushes what is queued.
/// </summary>
public sealed class AuditWriter : IAsyncDisposable
{
    public const string MeterName = "CyLlm.Gateway.Audit";

    public const int Capacity = 10_000;

    public const int MaxBatch = 256;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> DroppedCounter = Meter.CreateCounter<long>("cyllm.audit.dropped", "{row}", "Audit rows dropped because the audit queue was full");
    private static readonly Counter<long> FailedCounter = Meter.CreateCounter<long>("cyllm.audit.failed", "{row}", "Audit rows lost because the store refused the write");

    private readonly IJobStore store;
    private readonly ILogger log;
    private readonly Channel<AuditRecord> channel = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // with TryWrite: full = false, never a wait
    });

    private readonly Task loop;

    /// <summary>Rows accepted, and rows finished (written, failed or dropped): a flush waits for finished ≥ accepted.</summary>
    private long accepted;
    private long finished;
    private long dropped;
    private long inFlight;
    private long lastDropLogTicks = long.MinValue;
    private TaskCompletionSource progress = NewSignal();

    public AuditWriter(IJobStore store, ILogger<AuditWriter> log)
    {
        this.store = store;
        this.log = log;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Rows dropped so far because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Queues a row; false (and counted) when the queue is full or the writer is shutting down.</summary>
    public bool TryEnqueue(AuditRecord record)
    {
        Interlocked.Increment(ref accepted);
        if (channel.Writer.TryWrite(record))
        {
            return true;
        }

        Interlocked.Increment(ref dropped);
        DroppedCounter.Add(1);
        Finish(1);
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref lastDropLogTicks);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref lastDropLogTicks, now, last) == last)
        {
            log.LogWarning("audit queue full ({Capacity} rows): dropping audit rows ({Dropped} so far); the store is slower than the request rate", Capacity, Dropped);
        }

        return false;
    }

    /// <summary>Marks a request as started / ended for <see cref="FlushAsync"/> (audit middleware only).</summary>
    internal void BeginRequest() => Interlocked.Increment(ref inFlight);

    internal void EndRequest() => Interlocked.Decrement(ref inFlight);

    /// <summary>
    /// Waits until every row queued before the call is in the store (or lost), at most <paramref name="timeout"/>;
    /// with <paramref name="idle"/> it first waits for audited requests still running to finish (tests: the row of a
    /// response the client already read is queued just after the response).
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, bool idle = false)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (idle && Interlocked.Read(ref inFlight) > 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(1);
        }

        long target = Interlocked.Read(ref accepted);
        while (Interlocked.Read(ref finished) < target)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            var signal = Volatile.Read(ref progress).Task;
            if (Interlocked.Read(ref finished) >= target)
            {
                break;
            }

            try
            {
                await signal.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        channel.Writer.TryComplete();
        // Bounded: a store that hangs must not hang shutdown.
        await loop.WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        var batch = new List<AuditRecord>(MaxBatch);
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var r))
            {
                batch.Add(r);
            }

            try
            {
                await store.AppendAuditBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Audit must not take the gateway down: count, log and go on with the next batch.
                FailedCounter.Add(batch.Count);
                log.LogError(e, "could not write {Count} audit rows", batch.Count);
            }

            Finish(batch.Count);
            batch.Clear();
        }
    }

    private void Finish(int rows)
    {
        Interlocked.Add(ref finished, rows);
        var old = Interlocked.Exchange(ref progress, NewSignal());
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
