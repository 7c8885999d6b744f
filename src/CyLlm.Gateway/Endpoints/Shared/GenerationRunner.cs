using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// Runs one generation through the worker with the gateway's timeouts: the queue wait (stage "queue") and the
/// whole request (stage "total"). A client disconnect cancels the generation at once.
/// </summary>
public sealed class GenerationRunner : IDisposable
{
    private readonly HttpContext _ctx;
    private readonly GatewayState _state;
    private readonly CancellationTokenSource _total;
    private readonly CancellationTokenSource _linked;
    private WorkItem? _item;

    public GenerationRunner(HttpContext ctx, GatewayState state)
    {
        _ctx = ctx;
        _state = state;
        _total = new CancellationTokenSource(state.Options.RequestTimeout);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _total.Token);
    }

    /// <summary>Non-streaming: waits for the whole result.</summary>
    public async Task<GenerationResult> RunAsync(GenerationRequest request)
    {
        var item = _item = new WorkItem(request, streaming: false, _linked.Token);
        _state.Worker.Enqueue(item);
        await WaitStartAsync(item, null);
        return Check(await item.Done.Task);
    }

    /// <summary>Streaming: SSE chunks as tokens arrive, keep-alive comments while waiting, then [DONE].</summary>
    public async Task StreamAsync(GenerationRequest request, StreamShaper shaper)
    {
        var sse = new SseWriter(_ctx);
        var item = _item = new WorkItem(request, streaming: true, _linked.Token);
        _state.Worker.Enqueue(item);
        try
        {
            await WaitStartAsync(item, sse.KeepAliveAsync);
            if (shaper.First() is { } first)
            {
                await sse.DataAsync(first);
            }

            var reader = item.Tokens!.Reader;
            var keepAlive = _state.Options.KeepAliveInterval;
            Task<bool>? pending = null;
            while (true)
            {
                pending ??= reader.WaitToReadAsync().AsTask();
                if (!pending.IsCompleted)
                {
                    // A long prefill or a slow token: keep proxies from closing the idle connection.
                    var delay = Task.Delay(keepAlive, _ctx.RequestAborted);
                    if (await Task.WhenAny(pending, delay) != pending)
                    {
                        _ctx.RequestAborted.ThrowIfCancellationRequested();
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
                    }
                }
            }

            var result = Check(await item.Done.Task);
            foreach (var payload in shaper.Final(result))
            {
                await sse.DataAsync(payload);
            }

            await sse.DoneAsync();
        }
        catch (ApiError e) when (sse.Started && !_ctx.RequestAborted.IsCancellationRequested)
        {
            // Headers are gone: report the error in the stream, as OpenAI does.
            await sse.DataAsync(ErrorWriter.ToBody(e));
        }
        catch (Exception e) when (e is not ApiError and not OperationCanceledException && sse.Started && !_ctx.RequestAborted.IsCancellationRequested)
        {
            string trace = Activity.Current?.TraceId.ToString() ?? _ctx.TraceIdentifier;
            _ctx.RequestServices.GetRequiredService<ILogger<GenerationRunner>>().LogError(e, "stream failed, trace id {TraceId}", trace);
            await sse.DataAsync(ErrorWriter.ToBody(new ApiError(500, ErrorCodes.ServerError,
                $"The server had an internal error (trace id {trace}). Fix: retry; if it persists, report the trace id to the operator")));
        }
    }

    private GenerationResult Check(GenerationResult result)
    {
        if (result.FinishReason == FinishReason.Cancelled)
        {
            _ctx.RequestAborted.ThrowIfCancellationRequested();
            if (_total.IsCancellationRequested)
            {
                throw TotalTimeout();
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
                    throw _total.IsCancellationRequested ? TotalTimeout() : new ApiError(504, ErrorCodes.Timeout,
                        $"The request waited in the queue longer than the queue timeout of {opts.QueueTimeout.TotalSeconds:0.###} s (stage: queue). Fix: retry later, send fewer concurrent requests, or raise --queue-timeout on the server");
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

    private ApiError TotalTimeout() => new(504, ErrorCodes.Timeout,
        $"The request took longer than the total request timeout of {_state.Options.RequestTimeout.TotalSeconds:0.###} s (stage: total). Fix: ask for fewer tokens (max_tokens), or raise --request-timeout on the server");

    /// <summary>Cancels whatever still runs for this request (the handler is leaving, e.g. a failed write to a
    /// client that went away) and frees the timers once the worker is done with the token.</summary>
    public void Dispose()
    {
        _linked.Cancel();
        if (_item is { } item && !item.TryAbandon() && item.Started.Task.IsCompleted && !item.Done.Task.IsCompleted)
        {
            item.Done.Task.ContinueWith(_ => Free(), TaskScheduler.Default);
            return;
        }

        Free();
    }

    private void Free()
    {
        _linked.Dispose();
        _total.Dispose();
    }
}
