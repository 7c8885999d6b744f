using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>GET /health: 200 once the model is loaded, 503 while it loads (or if loading failed).</summary>
public static class HealthRoutes
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            // Ready only when every base model is loaded.
            foreach (var host in state.Models)
            {
                if (host.Backend is null)
                {
                    return Results.Text(host.Loading.IsFaulted ? $"model {host.ModelId} failed to load" : "loading", statusCode: 503);
                }
            }

            return Results.Text("ok");
        });
        return app;
    }
}
