using CyLlm.Engine.Generation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Observability;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Deadlines, token accounting and cleanup of <see cref="GenerationRunner"/>.</summary>
public sealed partial class GenerationRunner
{
    private void Expired(string stage) => Interlocked.CompareExchange(ref _stage, stage, null);

    /// <summary>The deadline that passed, if any. The tokens are checked too: a continuation of the linked token
    /// can run before the stage callbacks (callbacks run last-registered first).</summary>
    private string? Stage()
    {
        if (_stage is null)
        {
            if (_total.IsCancellationRequested)
            {
                Expired("total");
            }
            else if (_inference.IsCancellationRequested)
            {
                Expired("inference");
            }
            else if (_idle.IsCancellationRequested)
            {
                Expired("stream_idle");
            }
        }

        return _stage;
    }

    /// <summary>Starts the inference deadline (and, streaming, the idle deadline) once the engine took the request.</summary>
    private void StartClocks(bool streaming)
    {
        try
        {
            _inference.CancelAfter(_state.Options.InferenceTimeout);
            if (streaming)
            {
                _idle.CancelAfter(_state.Options.StreamIdleTimeout);
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed by a concurrent Dispose (the handler left): nothing to time any more.
        }
    }

    /// <summary>An SSE event went out: the idle deadline restarts.</summary>
    private void Touched()
    {
        if (Stage() is null)
        {
            _idle.CancelAfter(_state.Options.StreamIdleTimeout);
        }
    }

    /// <summary>The 504 of the deadline that passed first.</summary>
    private ApiError Expired() => Stage() switch
    {
        "inference" => Timeout("inference", _state.Options.InferenceTimeout, "Generation ran longer than the inference timeout", "ask for fewer tokens (max_tokens), or raise --inference-timeout on the server"),
        "stream_idle" => Timeout("stream_idle", _state.Options.StreamIdleTimeout, "The stream sent no event for longer than the stream idle timeout", "retry; if the model is slow to produce tokens, raise --stream-idle-timeout on the server"),
        _ => Timeout("total", _state.Options.RequestTimeout, "The request took longer than the total request timeout", "ask for fewer tokens (max_tokens), or raise --request-timeout on the server"),
    };

    private ApiError Timeout(string stage, TimeSpan limit, string what, string fix)
    {
        _metrics?.Timeouts.Add(1, new KeyValuePair<string, object?>("stage", stage));
        return new ApiError(504, ErrorCodes.Timeout, $"{what} of {limit.TotalSeconds:0.###} s (stage: {stage}). Fix: {fix}");
    }

    private KeyValuePair<string, object?>[] Tags() =>
        [new("model", RequestIds.ModelOf(_ctx)), new("tenant", _ctx.GetCaller().TenantId)];

    /// <summary>Charges prompt + max completion tokens against the token limits (429 when they do not fit).</summary>
    private async Task AdmitTokensAsync(GenerationRequest request, int choices)
    {
        if (_limiter is { Enabled: true } limiter)
        {
            long prompt = request.PromptTokens?.Count ?? 0;
            _lease = await limiter.AdmitTokensAsync(_ctx, prompt + ((long)choices * request.Sampling.MaxTokens));
        }
    }

    /// <summary>Records the usage (metrics, token-limit correction) of a finished generation.</summary>
    private async Task FinishAsync(GenerationResult[] results)
    {
        // Usage for the request's audit row (auth helper): both the non-streaming and the streaming path end here.
        // The prompt counts once whatever the number of choices, as OpenAI bills n.
        int prompt = results[0].PromptTokenIds.Length;
        int completion = results.Sum(r => r.TokenIds.Length);
        CyLlm.Gateway.Audit.RequestUsage.Report(_ctx, prompt, completion);
        var tags = Tags();
        _metrics?.PromptTokens.Add(prompt, tags);
        _metrics?.GenerationTokens.Add(completion, tags);
        if (_lease is { } lease && _limiter is { } limiter)
        {
            _lease = null;
            await limiter.SettleAsync(lease, prompt + completion);
        }
    }

    /// <summary>Cancels whatever still runs for this request (the handler is leaving, e.g. a failed write to a
    /// client that went away) and frees the timers once the engine is done with the token.</summary>
    public void Dispose()
    {
        if (_lease is { } lease && _limiter is { } limiter)
        {
            // Never reached the engine or never left its queue (queue timeout, overload): the tokens were not used.
            long used = _generation is { } g && g.Started.IsCompleted ? lease.Estimate : 0;
            _ = limiter.SettleAsync(lease, used).AsTask();
        }

        _linked.Cancel();
        if (_generation is { Completion.IsCompleted: false } generation)
        {
            generation.Completion.ContinueWith(_ => Free(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        Free();
    }

    private void Free()
    {
        _linked.Dispose();
        _abandon.Dispose();
        _total.Dispose();
        _inference.Dispose();
        _idle.Dispose();
    }
}
