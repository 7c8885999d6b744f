using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's fine-tuning API: create, list, get, cancel, events, checkpoints — scoped to the caller's tenant.</summary>
public static class FineTuningRoutes
{
    public static IEndpointRouteBuilder MapFineTuning(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/fine_tuning/jobs", (Delegate)((HttpContext ctx) => FineTuningHandler.CreateAsync(ctx, State(ctx))));
        app.MapGet("/v1/fine_tuning/jobs", (Delegate)((HttpContext ctx) => FineTuningHandler.ListAsync(ctx, State(ctx))));
        app.MapGet("/v1/fine_tuning/jobs/{id}", (HttpContext ctx, string id) => FineTuningHandler.GetAsync(ctx, State(ctx), id));
        app.MapPost("/v1/fine_tuning/jobs/{id}/cancel", (HttpContext ctx, string id) => FineTuningHandler.CancelAsync(ctx, State(ctx), id));
        app.MapGet("/v1/fine_tuning/jobs/{id}/events", (HttpContext ctx, string id) => FineTuningHandler.EventsAsync(ctx, State(ctx), id));
        app.MapGet("/v1/fine_tuning/jobs/{id}/checkpoints", (HttpContext ctx, string id) => FineTuningHandler.CheckpointsAsync(ctx, State(ctx), id));
        return app;
    }

    private static GatewayState State(HttpContext ctx)
    {
        ctx.RequireScope(AuthScopes.Inference);
        return ctx.RequestServices.GetRequiredService<GatewayState>();
    }
}
