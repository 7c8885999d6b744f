using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Errors;

/// <summary>
/// Turns every exception below it into an OpenAI error object: <see cref="ApiError"/> as is, Kestrel's
/// body-size rejection as 413, engine and template errors as <see cref="EngineErrors"/> maps them, anything else as a logged 500 <c>server_error</c> carrying a trace id (never a
/// stack trace on the wire).
/// </summary>
public sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (ApiError e)
        {
            await WriteOrAbortAsync(ctx, e);
        }
        catch (BadHttpRequestException b) when (b.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteOrAbortAsync(ctx, new ApiError(413, ErrorCodes.RequestTooLarge, "The request body is larger than the server accepts. Fix: send a smaller body or raise the server's max body size"));
        }
        catch (BadHttpRequestException b)
        {
            await WriteOrAbortAsync(ctx, ApiError.BadRequest($"Bad HTTP request: {b.Message}"));
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is listening for an answer.
        }
        catch (Exception ex) when (EngineErrors.Map(ex) is { } mapped)
        {
            await WriteOrAbortAsync(ctx, mapped);
        }
        catch (Exception ex)
        {
            string trace = Activity.Current?.TraceId.ToString() ?? ctx.TraceIdentifier;
            string requestId = Observability.RequestIds.Of(ctx);
            log.LogError(ex, "unhandled error on {Path}, trace id {TraceId}, request id {RequestId}", ctx.Request.Path.Value, trace, requestId);
            await WriteOrAbortAsync(ctx, new ApiError(500, ErrorCodes.ServerError, $"The server had an internal error (trace id {trace}, request id {requestId}). Fix: retry; if it persists, report the trace id to the operator"));
        }
    }

    private static async Task WriteOrAbortAsync(HttpContext ctx, ApiError e)
    {
        if (ctx.Response.HasStarted)
        {
            ctx.Abort();
            return;
        }

        ctx.Response.Clear();
        await ErrorWriter.WriteAsync(ctx, e);
    }
}
