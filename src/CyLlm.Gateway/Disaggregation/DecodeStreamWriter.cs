using System.Diagnostics;
using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Json;
using CyLlm.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The decode worker's streaming answer: <c>application/x-ndjson</c>, one <see cref="DecodeStreamLine"/> per generated
/// token, flushed as the engine produces it, then the final line. Headers go out with the first line, so a failure
/// before it (no token yet) still reaches the router as an error object with its status; a failure after it is the
/// last line, an OpenAI error object. A router that goes away cancels the request (the engine sees
/// <c>RequestAborted</c>) and frees its KV.
/// </summary>
public static class DecodeStreamWriter
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <param name="promptTokens">Prompt length in tokens, reported in the final line.</param>
    /// <param name="logprobs">Write each token's logprob and top logprobs (the request asked for them).</param>
    public static Task WriteAsync(HttpContext ctx, int promptTokens, ServingHandle handle, bool logprobs) =>
        WriteAsync(ctx, promptTokens, handle.ReadAllAsync(ctx.RequestAborted), handle.Completion, logprobs);

    /// <summary>The same answer for any generation: <paramref name="tokens"/> as they come, then <paramref name="completion"/>'s
    /// final line (an engine worker streams a backend's <see cref="Hosting.GenerationStream"/> this way).</summary>
    public static async Task WriteAsync(HttpContext ctx, int promptTokens, IAsyncEnumerable<GeneratedToken> tokens, Task<GenerationResult> completion, bool logprobs)
    {
        var ct = ctx.RequestAborted;
        try
        {
            await foreach (var t in tokens.WithCancellation(ct))
            {
                await LineAsync(ctx, TokenLine(t, logprobs));
            }

            var result = await completion;
            await LineAsync(ctx, new DecodeStreamLine
            {
                FinishReason = result.FinishReason.ToString().ToLowerInvariant(),
                TokenIds = result.TokenIds,
                Text = result.Text,
                PromptTokens = promptTokens,
                CompletionTokens = result.TokenIds.Length,
                CachedTokens = result.CachedTokens,
            });
        }
        catch (ApiError e) when (ctx.Response.HasStarted && !ct.IsCancellationRequested)
        {
            await LineAsync(ctx, new DecodeStreamLine { Error = ErrorWriter.ToBody(e).Error });
        }
        catch (Exception e) when (e is not ApiError and not OperationCanceledException && ctx.Response.HasStarted && !ct.IsCancellationRequested)
        {
            string trace = Activity.Current?.TraceId.ToString() ?? ctx.TraceIdentifier;
            string requestId = RequestIds.Of(ctx);
            ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DecodeStreamWriter))
                .LogError(e, "decode stream failed, trace id {TraceId}, request id {RequestId}", trace, requestId);
            var error = new ApiError(500, ErrorCodes.ServerError,
                $"The decode worker had an internal error (trace id {trace}, request id {requestId}). Fix: retry; if it persists, report the trace id to the operator");
            await LineAsync(ctx, new DecodeStreamLine { Error = ErrorWriter.ToBody(error).Error });
        }
    }

    /// <summary>The wire form of one token: id and text always, the logprobs only when asked (the id −1 tail piece has none).</summary>
    public static DecodeStreamLine TokenLine(GeneratedToken t, bool logprobs)
    {
        if (!logprobs || t.TokenId < 0)
        {
            return new DecodeStreamLine { TokenId = t.TokenId, Text = t.TextDelta };
        }

        DecodeTopLogprob[]? top = null;
        if (t.Sample.TopLogprobs is { } alternatives)
        {
            top = new DecodeTopLogprob[alternatives.Length];
            for (int i = 0; i < alternatives.Length; i++)
            {
                top[i] = new DecodeTopLogprob { TokenId = alternatives[i].TokenId, Logprob = alternatives[i].Logprob };
            }
        }

        return new DecodeStreamLine { TokenId = t.TokenId, Text = t.TextDelta, Logprob = t.Sample.Logprob, TopLogprobs = top };
    }

    /// <summary>The engine's sample for a token line: logprob 0 and no alternatives when the line carries none.</summary>
    public static SampleResult SampleOf(DecodeStreamLine line)
    {
        Debug.Assert(line.TokenId is not null, "only token lines carry a sample");
        TokenLogprob[]? top = null;
        if (line.TopLogprobs is { } alternatives)
        {
            top = new TokenLogprob[alternatives.Length];
            for (int i = 0; i < alternatives.Length; i++)
            {
                top[i] = new TokenLogprob(alternatives[i].TokenId, alternatives[i].Logprob);
            }
        }

        return new SampleResult(line.TokenId ?? -1, line.Logprob ?? 0f, top);
    }

    private static async Task LineAsync(HttpContext ctx, DecodeStreamLine line)
    {
        if (!ctx.Response.HasStarted)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/x-ndjson";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
        }

        var body = ctx.Response.Body;
        await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(line, GatewayJson.Options), ctx.RequestAborted);
        await body.WriteAsync(NewLine, ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }
}
