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
/// Shape: <c>{ model, engine, models: [{ model, engine }] }</c> — the top-level pair is the default model (kept for
/// clients written before several base models), <c>models</c> lists every base model, default first, with
/// <c>engine</c> null while that model loads. A model served by remote engine workers (<c>--workers</c>) adds
/// <c>workers: [{ url, state, in_flight, queue, last_heartbeat, consecutive_misses, last_error, adapters }]</c> and its
/// <c>engine</c> adds up the live workers' engines. <c>?model=ID</c> answers <c>{ model, engine }</c> for one base model.
/// </summary>
public static class StatusRoutes
{
    public static IEndpointRouteBuilder MapStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/status", (HttpContext ctx) =>
        {
            ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            if (ctx.Request.Query.ContainsKey("model"))
            {
                string id = ctx.Request.Query["model"].FirstOrDefault() ?? string.Empty;
                if (id.Length == 0)
                {
                    throw ApiError.BadRequest($"model must name a served base model ({ServedModels.IdList(state)})", "model");
                }

                var host = ServedModels.Require(state, id);
                var one = ServedModels.RequireBackend(host);
                return JsonResults.Ok(new StatusEntry(one.ModelId, RequireStatus(one), one.Workers));
            }

            var backend = state.RequireBackend();
            var status = RequireStatus(backend);
            var models = new List<StatusEntry>(state.Models.Count);
            foreach (var host in state.Models)
            {
                models.Add(host.Backend is { } b ? new StatusEntry(b.ModelId, b.Status, b.Workers) : new StatusEntry(host.ModelId, null));
            }

            return JsonResults.Ok(new StatusResponse(backend.ModelId, status, models, backend.Workers));
        });
        return app;
    }

    private static CyLlm.Engine.Scheduling.ServingStatus RequireStatus(IInferenceBackend backend) =>
        backend.Status ?? throw new ApiError(404, ErrorCodes.NotFound,
            "This server runs without the serving engine, so it keeps no status. Fix: start cyllm serve with continuous batching (the default)");
}
