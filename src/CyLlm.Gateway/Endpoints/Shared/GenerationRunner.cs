using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Observability;
using CyLlm.Gateway.RateLimits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// Runs one generation through the worker with the gateway's timeouts — the queue wait (stage "queue"), the
/// generation after the engine started it ("inference"), the gap between SSE events ("stream_idle") and the whole
/// request ("total"); whichever deadline passes first ends the request and names its stage. Charges the token
/// rate limit before queueing and corrects it with the actual usage after. A client disconnect cancels at once.
/// </summary>
public sealed partial class GenerationRunner : IDisposable
{
    private readonly HttpContext _ctx;
    private readonly GatewayState _state;

    // The worker of the base model the request runs on (each model has its own queue and engine).
    private readonly CyLlm.Gateway.Hosting.GenerationWorker _worker;
    private readonly CancellationTokenSource _total;
    private readonly CancellationTokenSource _inference;
    private readonly CancellationTokenSource _idle;
    private readonly CancellationTokenSource _linked;
    private readonly GatewayMetrics? _metrics;
    private readonly RateLimiter? _limiter;
    private readonly long _t0 = Stopwatch.GetTimestamp();
    private TokenLease? _lease;
    private WorkItem? _item;
    // The first deadline that passed ("total", "inference", "stream_idle"); set once by the timers' callbacks.
    private string? _stage;

    public GenerationRunner(HttpContext ctx, GatewayState state, IInferenceBackend? backend = null)
    {
        _worker = state.WorkerFor(backend);
        _ctx = ctx;
        _state = state;
        var time = state.Time;
        _total = new CancellationTokenSource(state.Options.RequestTimeout, time);
        // The inference and idle clocks start with the generation (StartClocks).
        _inference = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, time);
        _idle = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, time);
        _total.Token.Register(static s => ((GenerationRunner)s!).Expired("total"), this);
        _inference.Token.Register(static s => ((GenerationRunner)s!).Expired("inference"), this);
        _idle.Token.Register(static s => ((GenerationRunner)s!).Expired("stream_idle"), this);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _total.Token, _inference.Token, _idle.Token);
        _metrics = ctx.RequestServices.GetService<GatewayMetrics>();
        _limiter = ctx.RequestServices.GetService<RateLimiter>();
        if ((backend ?? state.Model.Backend) is { } b)
        {
            RequestIds.SetModel(ctx, b.ModelId);
        }
    }

    /// <summary>Non-streaming: waits for the whole result.</summary>
    public async Task<GenerationResult> RunAsync(GenerationRequest request)
    {
        await AdmitTokensAsync(request);
        var item = _item = new WorkItem(request, streaming: false, _linked.Token);
        _worker.Enqueue(item);
        await WaitStartAsync(item, null);
        StartClocks(streaming: false);
        GenerationResult result;
        try
        {
            result = await item.Done.Task.WaitAsync(_linked.Token);
        }
        catch (OperationCanceledException) when (!_ctx.RequestAborted.IsCancellationRequested && Stage() is not null)
        {
            // The engine sees the same cancellation; let it free its slot (bounded) before the 504 goes out.
            await Task.WhenAny(item.Done.Task, Task.Delay(TimeSpan.FromSeconds(1)));
            throw Expired();
        }

        return await FinishAsync(Check(result));
    }

    /// <summary>Streaming: SSE chunks as tokens arrive, keep-alive comments while waiting, then [DONE].</summary>
    public async Task StreamAsync(GenerationRequest request, StreamShaper shaper)
    {
        await AdmitTokensAsync(request);
        var sse = new SseWriter(_ctx);
        var item = _item = new WorkItem(request, streaming: true, _linked.Token);
        _worker.Enqueue(item);
        try
        {
            await WaitStartAsync(item, sse.KeepAliveAsync);
            StartClocks(streaming: true);
            if (shaper.First() is { } first)
            {
                await sse.DataAsync(first);
            }

            var reader = item.Tokens!.Reader;
            var keepAlive = _state.Options.KeepAliveInterval;
            Task<bool>? pending = null;
            long lastToken = 0;
            var tags = Tags();
            while (true)
            {
                pending ??= reader.WaitToReadAsync().AsTask();
                if (!pending.IsCompleted)
                {
                    // A long prefill or a slow token: keep proxies from closing the idle connection.
                    var delay = Task.Delay(keepAlive, _linked.Token);
                    if (await Task.WhenAny(pending, delay) != pending)
                    {
                        _ctx.RequestAborted.ThrowIfCancellationRequested();
                        if (Stage() is not null)
                        {
                            throw Expired();
                        }

                        await sse.KeepAliveAsync();
                        continue;
                    }
                }

                bool more = await pending;
                pending = null;
                if (!more)
                {
                    break;
                }

                while (reader.TryRead(out var token))
                {
                    if (shaper.Token(token) is { } payload)
                    {
                        await sse.DataAsync(payload);
                        Touched();
                        long now = Stopwatch.GetTimestamp();
                        if (lastToken == 0)
                        {
                            _metrics?.Ttft.Record(Stopwatch.GetElapsedTime(_t0, now).TotalSeconds, tags);
                        }
                        else
                        {
                            _metrics?.InterToken.Record(Stopwatch.GetElapsedTime(lastToken, now).TotalSeconds, tags);
                        }

                        lastToken = now;
                    }
                }
            }

            var result = await FinishAsync(Check(await item.Done.Task));
            foreach (var payload in shaper.Final(result))
            {
                await sse.DataAsync(payload);
            }

            await sse.DoneAsync();
        }
        catch (Exception e) when (sse.Started && !_ctx.RequestAborted.IsCancellationRequested && EngineErrors.Map(e) is { } mapped)
        {
            // Headers are gone: report the error in the stream, as OpenAI does.
            await sse.DataAsync(ErrorWriter.ToBody(mapped));
        }
        catch (Exception e) when (e is not OperationCanceledException && sse.Started && !_ctx.RequestAborted.IsCancellationRequested)
        {
            string trace = Activity.Current?.TraceId.ToString() ?? _ctx.TraceIdentifier;
            string requestId = RequestIds.Of(_ctx);
            _ctx.RequestServices.GetRequiredService<ILogger<GenerationRunner>>().LogError(e, "stream failed, trace id {TraceId}, request id {RequestId}", trace, requestId);
            await sse.DataAsync(ErrorWriter.ToBody(new ApiError(500, ErrorCodes.ServerError,
                $"The server had an internal error (trace id {trace}, request id {requestId}). Fix: retry; if it persists, report the trace id to the operator")));
        }
    }

    private GenerationResult Check(GenerationResult result)
    {
        if (result.FinishReason == FinishReason.Cancelled)
        {
            _ctx.RequestAborted.ThrowIfCancellationRequested();
            if (Stage() is not null)
            {
                throw Expired();
            }
        }

        return result;
    }

    private async Task WaitStartAsync(WorkItem item, Func<Task>? keepAlive)
    {
        var started = item.Started.Task;
        var opts = _state.Options;
        long t0 = Stopwatch.GetTimestamp();
        while (!started.IsCompleted)
        {
            var remaining = opts.QueueTimeout - Stopwatch.GetElapsedTime(t0);
            if (_linked.IsCancellationRequested || remaining <= TimeSpan.Zero)
            {
                if (item.TryAbandon())
                {
                    _ctx.RequestAborted.ThrowIfCancellationRequested();
                    throw Stage() is not null ? Expired() : Timeout("queue", opts.QueueTimeout,
                        "The request waited in the queue longer than the queue timeout", "retry later, send fewer concurrent requests, or raise --queue-timeout on the server");
                }

                // The worker claimed it in the meantime: it will finish (or see the cancellation) promptly.
                await started;
                break;
            }

            var wait = keepAlive is null || remaining < opts.KeepAliveInterval ? remaining : opts.KeepAliveInterval;
            var delay = Task.Delay(wait, _linked.Token);
            if (await Task.WhenAny(started, delay) == delay && !delay.IsCanceled && !started.IsCompleted && keepAlive is not null && wait < remaining)
            {
                await keepAlive();
            }
        }
    }
}
