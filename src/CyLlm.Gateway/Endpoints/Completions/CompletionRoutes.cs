using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>Routes of the text completions resource.</summary>
public static class CompletionRoutes
{
    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", CompletionHandler.HandleAsync);
        return app;
    }
}
