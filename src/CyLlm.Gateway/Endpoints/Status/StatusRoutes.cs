using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Status;

/// <summary>
/// GET /status (admin): the serving engine right now — running and waiting requests, KV-cache usage, prefix-cache
/// hit rate, preemptions, and p50/p95/p99 of queue time, TTFT, inter-token latency and end-to-end latency over a
/// sliding window (seconds). Prometheus has the same instruments as histograms; this is the quick look.
/// </summary>
public static class StatusRoutes
{
    public static IEndpointRouteBuilder MapStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/status", (HttpContext ctx) =>
        {
            ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var backend = state.RequireBackend();
            var status = backend.Status ?? throw new ApiError(404, ErrorCodes.NotFound,
                "This server runs without the serving engine, so it keeps no status. Fix: start cyllm serve with continuous batching (the default)");
            return JsonResults.Ok(new { model = backend.ModelId, engine = status });
        });
        return app;
    }
}
