using System.Text.Json;
using System.Text.Json.Nodes;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs.Caching;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// The optional response cache on the non-streaming chat and completions paths: a deterministic request (temperature
/// 0 or a fixed seed) whose model, adapter, parameters, prompt tokens and tenant match an earlier one gets the stored
/// answer with a fresh id and time (header <c>x-cyllm-cache: hit</c>). Entries live in the store, so they survive a
/// restart and never cross databases; the tenant is part of the key, so they never cross tenants either.
/// </summary>
public static class ResponseCaching
{
    public const string Header = "x-cyllm-cache";

    /// <summary>The cache key of a request, or null when caching is off or the request is not deterministic.</summary>
    public static string? KeyFor(GatewayState state, HttpContext ctx, string model, string? adapter, GenerationRequest request)
    {
        if (state.ResponseCache is null || !ResponseCache.IsCacheable(request.Sampling.Temperature, request.Sampling.Seed) || request.PromptTokens is null)
        {
            return null;
        }

        string parameters = JsonSerializer.Serialize(new
        {
            tenant = ctx.GetCaller().TenantId,
            endpoint = ctx.Request.Path.Value,
            sampling = request.Sampling,
            add_bos = request.AddBos,
            parse_special = request.ParseSpecial,
        });
        return ResponseCache.ComputeKey(model, adapter, parameters, string.Join(',', request.PromptTokens));
    }

    /// <summary>Writes the cached answer for <paramref name="key"/> with a new id and time; false on a miss.</summary>
    public static async Task<bool> TryReplayAsync(HttpContext ctx, GatewayState state, string? key, string id, long created)
    {
        if (key is null || await state.ResponseCache!.TryGetAsync(key, ctx.RequestAborted) is not { } cached)
        {
            return false;
        }

        var node = JsonNode.Parse(cached)!.AsObject();
        node["id"] = id;
        node["created"] = created;
        ctx.Response.Headers[Header] = "hit";
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(node), ctx.RequestAborted);
        return true;
    }

    /// <summary>Stores a finished answer (a failure to store only costs a future miss).</summary>
    public static async Task StoreAsync(HttpContext ctx, GatewayState state, string? key, byte[] body)
    {
        if (key is null)
        {
            return;
        }

        ctx.Response.Headers[Header] = "miss";
        try
        {
            await state.ResponseCache!.PutAsync(key, body, CancellationToken.None);
        }
        catch (CyLlm.Jobs.Storage.JobStoreException)
        {
            // The store is busy or full: the answer still goes out; the next identical request recomputes it.
        }
    }
}
