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
        app.MapGet("/v1/models", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            _ = state.RequireBackend();
            if (state.FineTunedAdapters is { } adapters)
            {
                // Adapters other replicas finished since the last look (rate-limited: each look scans the store).
                await adapters.SyncAsync(ctx.RequestAborted);
            }

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
                        list.Add(Describe(state, b) with { Id = id, Parent = b.ModelId });
                    }
                }
            }

            return JsonResults.Ok(new ModelList("list", list.ToArray()));
        });
        app.MapGet("/v1/models/{id}", async (HttpContext ctx, string id) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var (backend, _) = await state.ResolveModelForAsync(ctx, id);
            return JsonResults.Ok(Describe(state, backend));
        });
        return app;
    }

    private static ModelObject Describe(GatewayState state, IInferenceBackend b)
    {
        var summary = b.Summary;
        var dialect = b.ToolDialect;
        var caps = new List<string> { "chat", "completions" };
        if (b is EngineBackend)
        {
            caps.Add("embeddings");
        }

        // Tools work with every template (the Hermes fallback), and structured outputs with every backend that samples.
        caps.Add("tools");
        caps.Add("structured_outputs");
        if (b.SupportsPromptLogprobs)
        {
            caps.Add("echo_logprobs");
        }

        if (b is EngineBackend { Serving: not null })
        {
            caps.Add("lora"); // the serving engine loads adapters at run time
        }

        string family = dialect.Family.ToString().ToLowerInvariant();
        return new ModelObject(b.ModelId, "model", state.StartedAt, "cyllm", b.ContextTokens)
        {
            Root = b.ModelId,
            Architecture = summary?.Architecture,
            Quantization = summary?.Quantization,
            Parameters = summary?.Parameters,
            Capabilities = [.. caps],
            ToolFormat = dialect.NativeTools ? family : family + " (fallback)",
            ChatTemplate = (b as EngineBackend)?.Engine.ChatTemplateName,
        };
    }
}
