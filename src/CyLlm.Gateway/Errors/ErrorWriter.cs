using System.Text.Json;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Errors;

/// <summary>Writes error objects as responses or as SSE events (when the stream has already begun).</summary>
public static class ErrorWriter
{
    public static ErrorBody ToBody(ApiError e) => new(new ErrorDetail(e.Message, e.Type, e.Param, e.Code, e.RowErrors));

    public static async Task WriteAsync(HttpContext ctx, ApiError e)
    {
        ctx.Response.StatusCode = e.Status;
        ctx.Response.ContentType = "application/json";
        if (e.Status == 503 || e.Status == 429 || e.Code == ErrorCodes.IdempotencyKeyInProgress)
        {
            ctx.Response.Headers.RetryAfter = "1";
        }

        if (e.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                ctx.Response.Headers[name] = value;
            }
        }

        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(ToBody(e), GatewayJson.Options), ctx.RequestAborted);
    }
}
