using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>
/// A stand-in for an engine worker on loopback whose every step the test controls: GET /internal/workers/status answers
/// a report while <see cref="Healthy"/> (a 500 otherwise: a missed heartbeat), POST /internal/workers/generate runs the
/// test's handler. <see cref="Generations"/> counts the generate calls it received.
/// </summary>
public sealed class StubEngineWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _generations;

    private StubEngineWorker(WebApplication app) => _app = app;

    public string BaseUrl => LoopbackApp.BaseUrl(_app);

    public int Generations => Volatile.Read(ref _generations);

    public volatile bool Healthy = true;

    public static async Task<StubEngineWorker> StartAsync(Func<HttpContext, Task> generate)
    {
        var app = LoopbackApp.Create();
        var stub = new StubEngineWorker(app);
        app.MapGet("/internal/workers/status", () => stub.Healthy
            ? Results.Json(new WorkerStatusReport { Model = "stories260K" }, Json.GatewayJson.Options)
            : Results.StatusCode(500));
        app.MapPost("/internal/workers/generate", async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref stub._generations);
            await generate(ctx);
        });
        await app.StartAsync();
        return stub;
    }

    /// <summary>Writes one NDJSON line and flushes it, as a real worker does per token.</summary>
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
