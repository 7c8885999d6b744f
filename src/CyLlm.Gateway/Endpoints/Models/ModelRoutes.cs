using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Models;

/// <summary>GET /v1/models and GET /v1/models/{id}.</summary>
public static class ModelRoutes
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            _ = state.RequireBackend();
            // A key with a model allow-list sees only the models it may use.
            var caller = ctx.GetCaller();
            var list = new List<ModelObject>();
            foreach (var b in state.Backends)
            {
                if (caller.MayUseModel(b.ModelId))
                {
                    list.Add(Describe(state, b));
                }

                foreach (var a in b.Adapters)
                {
                    if (!state.CanUseAdapter(caller, a))
                    {
                        continue;
                    }

                    // Fine-tuned adapters carry their full OpenAI name (ft:base:suffix:job); others are "base:adapter".
                    string id = a.StartsWith("ft:", StringComparison.Ordinal) ? a : $"{b.ModelId}:{a}";
                    if (caller.MayUseModel(id) || caller.MayUseModel(a))
                    {
                        list.Add(new ModelObject(id, "model", state.StartedAt, "cyllm", b.ContextTokens));
                    }
                }
            }

            return JsonResults.Ok(new ModelList("list", list.ToArray()));
        });
        app.MapGet("/v1/models/{id}", (HttpContext ctx, string id) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            return JsonResults.Ok(Describe(state, state.ResolveModelFor(ctx, id)));
        });
        return app;
    }

    private static ModelObject Describe(GatewayState state, IInferenceBackend b) => new(b.ModelId, "model", state.StartedAt, "cyllm", b.ContextTokens);
}
