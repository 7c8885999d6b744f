using System.Threading.Channels;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Errors;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Serializes generations onto the single-stream engine: a bounded queue of <see cref="WorkItem"/>s drained by
/// one dedicated thread. A full queue is refused at once (503 server_overloaded) rather than piling up.
/// </summary>
public sealed class GenerationWorker : IDisposable
{
    private readonly Channel<WorkItem> _queue;
    private readonly Func<IInferenceBackend?> _backend;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private int _waiting;

    public GenerationWorker(int capacity, Func<IInferenceBackend?> backend, ILogger log)
    {
        System.Diagnostics.Debug.Assert(capacity > 0, "queue capacity must be positive");
        Capacity = capacity;
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _backend = backend;
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = "cyllm-generation" };
        _thread.Start();
    }

    public int Capacity { get; }

    /// <summary>Requests queued, not yet running.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Queues <paramref name="item"/>; throws 503 server_overloaded when the queue is full.</summary>
    public void Enqueue(WorkItem item)
    {
        Interlocked.Increment(ref _waiting);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ApiError(503, ErrorCodes.ServerOverloaded,
                $"The server is overloaded: {Capacity} requests are already queued. Fix: retry after a short backoff, or raise --max-queue on the server");
        }
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (true)
        {
            WorkItem item;
            try
            {
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }

                if (!reader.TryRead(out item!))
                {
                    continue;
                }
            }
            catch (ChannelClosedException)
            {
                return;
            }

            Interlocked.Decrement(ref _waiting);
            int concurrency = _backend()?.MaxConcurrency ?? 1;
            if (concurrency <= 1)
            {
                Process(item);
                continue;
            }

            // A batching backend: keep up to `concurrency` generations in flight; the engine batches them.
            _slots ??= new SemaphoreSlim(concurrency, concurrency);
            _slots.Wait();
            // A dedicated thread per generation: backends block their caller for the whole generation, and
            // pool threads blocked that way would starve the HTTP side (/health, new requests) under many streams.
            _ = Task.Factory.StartNew(() =>
            {
                try
                {
                    Process(item);
                }
                finally
                {
                    _slots.Release();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    private SemaphoreSlim? _slots;

    private void Process(WorkItem item)
    {
        if (!item.TryClaim())
        {
            // The handler gave up on it (queue timeout or disconnect) and has already answered.
            return;
        }

        var claimedAt = DateTimeOffset.UtcNow;
        if (item.TraceParent != default)
        {
            CyLlm.Engine.Diagnostics.EngineTracing.Span("queue", item.TraceParent, item.EnqueuedAtUtc, claimedAt);
        }
        item.Started.TrySetResult();
        try
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Done.TrySetResult(new GenerationResult([], [], "", FinishReason.Cancelled, [], 0, 0, 0));
                return;
            }

            var backend = _backend() ?? throw new ApiError(503, ErrorCodes.ServerOverloaded, "The model is still loading. Fix: wait until GET /health returns 200");
            var writer = item.Tokens?.Writer;
            Action<GeneratedToken>? onToken = writer is null ? null : t => writer.TryWrite(t);
            var result = backend.Generate(item.Request, onToken, item.CancellationToken);
            TraceSpans(item, claimedAt, result);
            item.Done.TrySetResult(result);
        }
        catch (Exception e) when (EngineErrors.Map(e) is not null)
        {
            // A refusal the client caused (or overload): the handler maps it, nothing to log as a failure.
            item.Done.TrySetException(e);
        }
        catch (Exception e)
        {
            _log.LogError(e, "generation failed");
            item.Done.TrySetException(e);
        }
        finally
        {
            item.Tokens?.Writer.TryComplete();
        }
    }

    /// <summary>The "prefill" (claim to first token, by the backend's TTFT) and "decode" spans of a finished generation.</summary>
    private static void TraceSpans(WorkItem item, DateTimeOffset claimedAt, GenerationResult result)
    {
        if (item.TraceParent == default)
        {
            return;
        }

        var end = DateTimeOffset.UtcNow;
        var first = result.TtftMs > 0 ? claimedAt.AddMilliseconds(result.TtftMs) : claimedAt.AddMilliseconds(result.PromptMs);
        first = first > end ? end : first;
        CyLlm.Engine.Diagnostics.EngineTracing.Span("prefill", item.TraceParent, claimedAt, first, "cyllm.prompt_tokens", result.PromptTokenIds.Length);
        CyLlm.Engine.Diagnostics.EngineTracing.Span("decode", item.TraceParent, first, end, "cyllm.generated_tokens", result.TokenIds.Length);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
