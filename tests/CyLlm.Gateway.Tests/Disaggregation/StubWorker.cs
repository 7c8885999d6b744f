using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// A stand-in for a worker gateway on loopback: POST /internal/disaggregation/prefill answers 200 at once (without
/// registering the room anywhere) and POST /internal/disaggregation/decode runs <c>decode</c>, which writes its own
/// answer. <see cref="Running"/> counts decode requests inside <c>decode</c> now.
/// </summary>
public sealed class StubWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _running;

    private StubWorker(WebApplication app) => _app = app;

    public string BaseUrl => LoopbackApp.BaseUrl(_app);

    public int Running => Volatile.Read(ref _running);

    /// <param name="prefillBody">Sees each prefill request's JSON body (tests check what the router sends).</param>
    /// <param name="prefill">Answers prefill requests instead of the default success (a failing prefill worker).</param>
    public static async Task<StubWorker> StartAsync(Func<HttpContext, Task> decode, Action<string>? prefillBody = null, Func<HttpContext, Task>? prefill = null)
    {
        var app = LoopbackApp.Create();
        var stub = new StubWorker(app);
        app.MapPost("/internal/disaggregation/prefill", async (HttpContext ctx) =>
        {
            string body = await new StreamReader(ctx.Request.Body).ReadToEndAsync(ctx.RequestAborted);
            prefillBody?.Invoke(body);
            if (prefill is not null)
            {
                await prefill(ctx);
                return Results.Empty;
            }

            return Results.Json(new { status = "success" });
        });
        app.MapPost("/internal/disaggregation/decode", async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref stub._running);
            try
            {
                await decode(ctx);
            }
            finally
            {
                Interlocked.Decrement(ref stub._running);
            }
        });
        await app.StartAsync();
        return stub;
    }

    /// <summary>Writes one NDJSON line and flushes it, as the real decode worker does per token.</summary>
    public static async Task LineAsync(HttpContext ctx, string json)
    {
        if (!ctx.Response.HasStarted)
        {
            ctx.Response.ContentType = "application/x-ndjson";
        }

        await ctx.Response.WriteAsync(json + "\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
