using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>Routes of the chat resource.</summary>
public static class ChatRoutes
{
    public static IEndpointRouteBuilder MapChat(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", ChatHandler.HandleAsync);
        return app;
    }
}
