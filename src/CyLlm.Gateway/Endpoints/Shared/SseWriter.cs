using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Server-sent events in OpenAI's framing: <c>data: {json}\n\n</c>, <c>data: [DONE]\n\n</c> and
/// <c>: keep-alive\n\n</c> comments. Headers go out with the first write.</summary>
public sealed class SseWriter(HttpContext ctx)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] KeepAliveLine = ": keep-alive\n\n"u8.ToArray();

    public bool Started => ctx.Response.HasStarted;

    public async Task DataAsync(object payload)
    {
        Begin();
        var body = ctx.Response.Body;
        await body.WriteAsync(DataPrefix, ctx.RequestAborted);
        await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(payload, payload.GetType(), GatewayJson.Options), ctx.RequestAborted);
        await body.WriteAsync(EventEnd, ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }

    public async Task DoneAsync()
    {
        Begin();
        await ctx.Response.Body.WriteAsync(Done, ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    public async Task KeepAliveAsync()
    {
        Begin();
        await ctx.Response.Body.WriteAsync(KeepAliveLine, ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    private void Begin()
    {
        if (!ctx.Response.HasStarted)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/event-stream; charset=utf-8";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
        }
    }

    internal static string Utf8(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);
}
