using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Chat;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Tokenize;

/// <summary>POST /tokenize and POST /detokenize (vLLM's shapes); they bypass the generation queue.</summary>
public static class TokenizeRoutes
{
    public static IEndpointRouteBuilder MapTokenize(this IEndpointRouteBuilder app)
    {
        app.MapPost("/tokenize", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await RequestReader.ReadAsync<TokenizeRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported(req.Extra.Keys.First());
            }

            var (backend, _) = await state.ResolveModelForAsync(ctx, req.Model);
            int[] ids;
            if (req.Messages is not null)
            {
                if (req.Prompt is not null)
                {
                    throw ApiError.BadRequest("give either prompt or messages, not both", "prompt");
                }

                ids = backend.EncodeChat(ChatHandler.ToMessages(req.Messages));
            }
            else
            {
                ids = backend.Encode(req.Prompt ?? throw ApiError.BadRequest("prompt is required", "prompt"), req.AddSpecialTokens == false ? false : null);
            }

            return JsonResults.Ok(new TokenizeResponse(ids.Length, backend.ContextTokens, ids));
        });
        app.MapPost("/detokenize", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await RequestReader.ReadAsync<DetokenizeRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported(req.Extra.Keys.First());
            }

            var (backend, _) = await state.ResolveModelForAsync(ctx, req.Model);
            var tokens = req.Tokens ?? throw ApiError.BadRequest("tokens is required", "tokens");
            for (int i = 0; i < tokens.Count; i++)
            {
                if ((uint)tokens[i] >= (uint)backend.VocabSize)
                {
                    throw ApiError.BadRequest($"tokens[{i}] = {tokens[i]} is outside the vocabulary (0..{backend.VocabSize - 1})", $"tokens[{i}]");
                }
            }

            return JsonResults.Ok(new DetokenizeResponse(backend.Decode(tokens)));
        });
        return app;
    }
}
