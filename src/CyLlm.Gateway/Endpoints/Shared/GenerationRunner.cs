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
/// Runs one generation on the model's backend with the gateway's timeouts — the wait in the engine's queue (stage
/// "queue"), the generation after the engine started it ("inference"), the gap between SSE events ("stream_idle") and
/// the whole request ("total"); whichever deadline passes first ends the request and names its stage. The request is
/// submitted straight to the engine (whose queue orders by priority and refuses when full) and its tokens are read from
/// the engine's channel with await: no thread waits for it. Charges the token rate limit before submitting and corrects
/// it with the actual usage after. A client disconnect cancels at once (removes a waiting request, frees a running one).
/// </summary>
public sealed partial class GenerationRunner : IDisposable
{
    private readonly HttpContext _ctx;
    private readonly GatewayState _state;

    // The base model the request runs on (each model has its own engine and queue).
    private readonly IInferenceBackend _backend;
    private readonly CancellationTokenSource _total;
    private readonly CancellationTokenSource _inference;
    private readonly CancellationTokenSource _idle;

    // Cancelled when the handler gives up on a request still waiting (queue timeout): the engine drops it.
    private readonly CancellationTokenSource _abandon = new();
    private readonly CancellationTokenSource _linked;
    private readonly GatewayMetrics? _metrics;
    private readonly RateLimiter? _limiter;
    private readonly long _t0 = Stopwatch.GetTimestamp();
    private TokenLease? _lease;
    private GenerationStream? _generation;
    private ActivityContext _traceParent;
    private DateTimeOffset _submittedAt;
    private DateTimeOffset _startedAt;

    // The first deadline that passed ("total", "inference", "stream_idle"); set once by the timers' callbacks.
    private string? _stage;

    public GenerationRunner(HttpContext ctx, GatewayState state, IInferenceBackend? backend = null)
    {
        _backend = backend ?? state.RequireBackend();
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
        _linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _total.Token, _inference.Token, _idle.Token, _abandon.Token);
        _metrics = ctx.RequestServices.GetService<GatewayMetrics>();
        _limiter = ctx.RequestServices.GetService<RateLimiter>();
        RequestIds.SetModel(ctx, _backend.ModelId);
    }

    /// <summary>Non-streaming: waits for the whole result.</summary>
    public async Task<GenerationResult> RunAsync(GenerationRequest request) => (await RunManyAsync(request, 1))[0];

    /// <summary>Non-streaming, <paramref name="n"/> choices of one request (the backend computes the prompt once where it can).</summary>
    public async Task<GenerationResult[]> RunManyAsync(GenerationRequest request, int n)
    {
        await AdmitTokensAsync(request, n);
        var generations = Submit(request, n);
        await WaitStartAsync(generations[0], null);
        StartClocks(streaming: false);
        GenerationResult[] results;
        try
        {
            results = n == 1
                ? [await generations[0].Completion.WaitAsync(_linked.Token)]
                : await Task.WhenAll(generations.Select(g => g.Completion)).WaitAsync(_linked.Token);
        }
        catch (OperationCanceledException) when (!_ctx.RequestAborted.IsCancellationRequested && Stage() is not null)
        {
            // The engine sees the same cancellation; let it free its slot (bounded) before the 504 goes out.
            await Task.WhenAny(Task.WhenAll(generations.Select(g => (Task)g.Completion)), Task.Delay(TimeSpan.FromSeconds(1)));
            throw Expired();
        }

        foreach (var r in results)
        {
            Check(r);
        }

        TraceSpans(results[0]);
        await FinishAsync(results);
        return results;
    }

    /// <summary>Streaming: SSE chunks as tokens arrive, keep-alive comments while waiting, then [DONE].</summary>
    public Task StreamAsync(GenerationRequest request, StreamShaper shaper) => StreamManyAsync(request, [shaper]);

    /// <summary>
    /// Streaming, one shaper per choice (each writes its choice's index): the choices' chunks interleave as their tokens
    /// come. With several choices the usage chunk, when asked for, is written once, by choice 0's shaper, last.
    /// </summary>
    public async Task StreamManyAsync(GenerationRequest request, StreamShaper[] shapers)
    {
        int n = shapers.Length;
        await AdmitTokensAsync(request, n);
        // Submitted before the first byte: a refusal (overload, context, KV capacity) is a plain HTTP error.
        var generations = Submit(request, n);
        var sse = new SseWriter(_ctx);
        try
        {
            await WaitStartAsync(generations[0], sse.KeepAliveAsync);
            StartClocks(streaming: true);
            foreach (var shaper in shapers)
            {
                await KeepAliveUntilAsync(shaper.BeforeFirstAsync(generations[0]), sse);
                if (shaper.First() is { } first)
                {
                    await sse.DataAsync(first);
                }
            }

            var reader = new ChoiceTokens(generations);
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

                while (reader.TryRead(out int choice, out var token))
                {
                    if (shapers[choice].Token(token) is { } payload)
                    {
                        if (payload is SsePayloads many)
                        {
                            foreach (var item in many.Items)
                            {
                                await sse.DataAsync(item);
                            }
                        }
                        else
                        {
                            await sse.DataAsync(payload);
                        }

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

            var results = await Task.WhenAll(generations.Select(g => g.Completion));
            foreach (var r in results)
            {
                Check(r);
            }

            TraceSpans(results[0]);
            await FinishAsync(results);
            for (int i = n - 1; i >= 0; i--)
            {
                // Choice 0 last, with the usage of every choice (the prompt once, the completions summed).
                var result = i == 0 && n > 1 ? results[0] with { TokenIds = [.. results.SelectMany(r => r.TokenIds)] } : results[i];
                foreach (var payload in shapers[i].Final(result))
                {
                    await sse.DataAsync(payload);
                }
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

    /// <summary>Waits for <paramref name="ready"/> (a prefill, say) as the token loop waits for a token: keep-alive
    /// comments meanwhile, the stage's 504 when a deadline passes, the client's disconnect at once.</summary>
    private async Task KeepAliveUntilAsync(Task ready, SseWriter sse)
    {
        while (!ready.IsCompleted)
        {
            var delay = Task.Delay(_state.Options.KeepAliveInterval, _linked.Token);
            if (await Task.WhenAny(ready, delay) == ready)
            {
                break;
            }

            _ctx.RequestAborted.ThrowIfCancellationRequested();
            if (Stage() is not null)
            {
                throw Expired();
            }

            if (delay.IsCanceled)
            {
                // Cancelled for another reason: the engine ends the generation, which completes ready.
                break;
            }

            await sse.KeepAliveAsync();
        }

        await ready;
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

    /// <summary>Hands the request to the backend (its engine queues it); remembers what the trace spans need.</summary>
    private GenerationStream[] Submit(GenerationRequest request, int n)
    {
        _traceParent = Activity.Current?.Context ?? default;
        _submittedAt = DateTimeOffset.UtcNow;
        var generations = n == 1 ? [_backend.Start(request, _linked.Token)] : _backend.StartMany(request, n, _linked.Token);
        _generation = generations[0];
        return generations;
    }

    /// <summary>
    /// Waits while the request sits in the engine's queue, within the queue timeout (stage "queue"), sending keep-alive
    /// comments on a stream; past it the request is withdrawn from the queue (the engine drops it) and answered 504.
    /// </summary>
    private async Task WaitStartAsync(GenerationStream generation, Func<Task>? keepAlive)
    {
        var started = generation.Started;
        var ended = generation.Completion;
        var opts = _state.Options;
        long t0 = Stopwatch.GetTimestamp();
        while (!started.IsCompleted && !ended.IsCompleted)
        {
            var remaining = opts.QueueTimeout - Stopwatch.GetElapsedTime(t0);
            if (_linked.IsCancellationRequested || remaining <= TimeSpan.Zero)
            {
                if (started.IsCompleted)
                {
                    break; // the engine took it in the meantime: it will finish (or see the cancellation) promptly
                }

                _abandon.Cancel();
                _ctx.RequestAborted.ThrowIfCancellationRequested();
                throw Stage() is not null ? Expired() : Timeout("queue", opts.QueueTimeout,
                    "The request waited in the queue longer than the queue timeout", "retry later, send fewer concurrent requests, or raise --queue-timeout on the server");
            }

            var wait = keepAlive is null || remaining < opts.KeepAliveInterval ? remaining : opts.KeepAliveInterval;
            var delay = Task.Delay(wait, _linked.Token);
            if (await Task.WhenAny(started, ended, delay) == delay && !delay.IsCanceled && !started.IsCompleted && !ended.IsCompleted && keepAlive is not null && wait < remaining)
            {
                await keepAlive();
            }
        }

        _startedAt = DateTimeOffset.UtcNow;
        if (_traceParent != default && started.IsCompleted)
        {
            CyLlm.Engine.Diagnostics.EngineTracing.Span("queue", _traceParent, _submittedAt, _startedAt);
        }
    }

    /// <summary>The "prefill" (start to first token, by the engine's prompt time) and "decode" spans of a finished generation.</summary>
    private void TraceSpans(GenerationResult result)
    {
        if (_traceParent == default || _startedAt == default)
        {
            return;
        }

        var end = DateTimeOffset.UtcNow;
        var first = _startedAt.AddMilliseconds(result.PromptMs);
        first = first > end ? end : first;
        CyLlm.Engine.Diagnostics.EngineTracing.Span("prefill", _traceParent, _startedAt, first, "cyllm.prompt_tokens", result.PromptTokenIds.Length);
        CyLlm.Engine.Diagnostics.EngineTracing.Span("decode", _traceParent, first, end, "cyllm.generated_tokens", result.TokenIds.Length);
    }
}
