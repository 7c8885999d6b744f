using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Adapters;

/// <summary>
/// LoRA adapters at run time, as vLLM exposes them: load and unload without reloading the base model. A loaded
/// adapter is served as the model "base:adapter" (or just "adapter"). Unloading waits for its requests.
/// </summary>
public static class AdapterRoutes
{
    public static IEndpointRouteBuilder MapAdapters(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/load_lora_adapter", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await Read(ctx, state);
            // Confined before anything touches the file system, so no later error depends on paths outside the directory.
            string path = AdapterPaths.Resolve(caller, req.LoraPath ?? throw ApiError.BadRequest("lora_path is required", "lora_path"), state.Options.AdapterDirectory);
            var backend = state.RequireBackend();
            if (backend.Adapters.Contains(req.LoraName!) && !state.CanManageAdapter(caller, req.LoraName!))
            {
                // Another tenant's, or the operator's shared adapter: loading over it would hand the name (and every
                // tenant's requests for it) to this tenant.
                throw ApiError.BadRequest($"the adapter name '{req.LoraName}' is not available", "lora_name");
            }

            if (!backend.Adapters.Contains(req.LoraName!) && state.AdapterRoomFor(caller.IsOperator ? null : caller.TenantId, backend) is { } full)
            {
                throw full;
            }

            try
            {
                // A tenant's admin loads adapters for its own tenant; the operator's are shared by every tenant.
                state.SetAdapterOwner(req.LoraName!, caller.IsOperator ? null : caller.TenantId);
                backend.LoadAdapter(req.LoraName!, path);
            }
            catch (Exception e) when (e is CyLlm.Models.ModelFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidOperationException)
            {
                throw ApiError.BadRequest($"cannot load adapter '{req.LoraName}': {e.Message}", "lora_path");
            }

            return JsonResults.Ok(new { status = "loaded", lora_name = req.LoraName });
        }).WithMetadata(new RequiredScope(AuthScopes.Admin));
        app.MapPost("/v1/unload_lora_adapter", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await Read(ctx, state, unload: true);
            try
            {
                // The id /v1/models lists ("ft:base:suffix:job", "base:adapter" or "adapter") names the adapter and,
                // with several base models, the backend that holds it.
                var (backend, name) = Locate(state, req.LoraName!);
                if (!state.CanUseAdapter(caller, name))
                {
                    throw new AdapterNotFoundException(req.LoraName!);
                }

                if (!state.CanManageAdapter(caller, name))
                {
                    // Visible to this tenant (shared by the operator), but other tenants use it too.
                    throw new ApiError(403, ErrorCodes.InsufficientScope, $"The adapter '{req.LoraName}' is shared by the operator; only the operator (tenant system) may unload it. Fix: ask the operator, or load an adapter of this tenant's own under another name", "lora_name");
                }

                await backend.UnloadAdapterAsync(name);
            }
            catch (AdapterNotFoundException e)
            {
                throw new ApiError(404, ErrorCodes.ModelNotFound, $"{e.Message}. Fix: GET /v1/models lists the loaded adapters", "lora_name");
            }

            return JsonResults.Ok(new { status = "unloaded", lora_name = req.LoraName });
        }).WithMetadata(new RequiredScope(AuthScopes.Admin));
        return app;
    }

    private static async Task<LoadAdapterRequest> Read(HttpContext ctx, GatewayState state, bool unload = false)
    {
        var req = await RequestReader.ReadAsync<LoadAdapterRequest>(ctx, state.Options.MaxBodyBytes);
        if (req.Extra is { Count: > 0 })
        {
            throw ApiError.Unsupported(req.Extra.Keys.First());
        }

        if (string.IsNullOrWhiteSpace(req.LoraName))
        {
            throw ApiError.BadRequest("lora_name is required", "lora_name");
        }

        // ':' separates a base model from its adapter in model ids, so a loaded name must not contain one; an unload
        // takes any id /v1/models lists, fine-tuned "ft:..." names and "base:adapter" included.
        if (!unload && req.LoraName.Contains(':', StringComparison.Ordinal))
        {
            throw ApiError.BadRequest("lora_name must not contain ':' (it separates a base model from its adapter in model ids)", "lora_name");
        }

        return req;
    }

    /// <summary>
    /// The backend that holds the adapter a model id names, and the adapter's name there: a fine-tuned model is
    /// registered under its whole "ft:..." id; "base:adapter" names an adapter of that base model; a bare name is
    /// looked up on every served model, the default first. Throws <see cref="AdapterNotFoundException"/> when none has it.
    /// </summary>
    private static (IInferenceBackend Backend, string Name) Locate(GatewayState state, string id)
    {
        var fallback = state.RequireBackend();
        var backends = state.Backends.ToList();
        if (id.StartsWith("ft:", StringComparison.Ordinal) || !id.Contains(':', StringComparison.Ordinal))
        {
            var holder = fallback.Adapters.Contains(id) ? fallback : backends.FirstOrDefault(b => b.Adapters.Contains(id));
            return holder is not null ? (holder, id) : throw new AdapterNotFoundException(id);
        }

        int colon = id.IndexOf(':', StringComparison.Ordinal);
        string baseId = id[..colon], name = id[(colon + 1)..];
        var owner = backends.FirstOrDefault(b => b.ModelId == baseId && b.Adapters.Contains(name));
        return owner is not null ? (owner, name) : throw new AdapterNotFoundException(id);
    }
}
