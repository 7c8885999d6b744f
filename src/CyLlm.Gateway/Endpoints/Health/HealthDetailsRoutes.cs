using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.State;
using CyLlm.Jobs.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>GET /health/details (admin scope): 200 when healthy, 503 with the same body when a check failed or the model is not ready.</summary>
public static class HealthDetailsRoutes
{
    public static IEndpointRouteBuilder MapHealthDetails(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/details", async (HttpContext ctx) =>
        {
            ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var report = await StartupHealth.RunAsync(state.Options, state.StoreHost, ctx.RequestAborted);
            var checks = report.Checks.Select(c => new HealthCheckItem(c.Name, Outcome(c.Outcome), c.Message, c.Duration.TotalMilliseconds)).ToList();
            var model = state.Model;
            string modelState = model.Backend is not null ? "ready" : model.Loading.IsFaulted ? "failed" : "loading";
            var recorded = ModelHashes.Recorded(state.StoreHost.DataDirectory);
            var files = (state.Options.BackendFactory is null ? ModelHashes.FilesOf(state.Options.ModelPath) : [])
                .Select(f => new ModelFileStatus(f, recorded.TryGetValue(f, out var sha) ? sha : null)).ToList();
            string? error = model.Loading.IsFaulted ? model.Loading.Exception?.GetBaseException().Message : null;
            bool healthy = report.Healthy && modelState == "ready";
            var body = new HealthDetails(
                healthy ? "ok" : "failing", healthy, report.Elapsed.TotalMilliseconds, report.Passed, report.Failed, report.Skipped, checks,
                new ModelStatus(model.Backend?.ModelId ?? model.ModelId, state.Options.ModelPath, modelState, error, files),
                new EngineStatus(model.Backend?.Waiting ?? 0, model.Backend?.MaxWaiting ?? state.Options.MaxQueue, state.Options.ContinuousBatching),
                new StoreStatus(state.Store.Provider, state.Store.Location, state.StoreHost.DataDirectory));
            return JsonResults.Status(body, healthy ? 200 : 503);
        }).WithMetadata(new RequiredScope(AuthScopes.Admin));
        return app;
    }

    private static string Outcome(HealthOutcome o) => o switch
    {
        HealthOutcome.Passed => "passed",
        HealthOutcome.Failed => "failed",
        _ => "skipped",
    };
}
