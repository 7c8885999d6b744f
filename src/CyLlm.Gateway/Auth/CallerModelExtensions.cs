using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>Resolves the request's "model" and enforces the caller's model allow-list.</summary>
public static class CallerModelExtensions
{
    /// <summary><see cref="GatewayState.ResolveModel(string?, out string?)"/>, then 403 <c>insufficient_scope</c> when the
    /// key's allow-list holds neither the name as sent nor its canonical form (the base id, or "base:adapter").</summary>
    public static IInferenceBackend ResolveModelFor(this GatewayState state, HttpContext ctx, string? requested, out string? adapter)
    {
        var backend = state.ResolveModel(requested, out adapter);
        var caller = ctx.GetCaller();
        if (adapter is not null && !state.CanUseAdapter(caller, adapter))
        {
            // Another tenant's adapter answers exactly like one that does not exist: its name is not disclosed.
            throw new ApiError(404, ErrorCodes.ModelNotFound,
                $"The model '{requested}' does not exist on this server. Fix: use '{backend.ModelId}' or a model from GET /v1/models", "model");
        }
        if (caller.AllowedModels.Count == 0)
        {
            return backend;
        }

        string canonical = adapter is null ? backend.ModelId : backend.ModelId + ":" + adapter;
        if (!caller.MayUseModel(canonical) && (requested is null || !caller.MayUseModel(requested)))
        {
            throw new ApiError(403, ErrorCodes.InsufficientScope,
                $"This API key may not use the model '{requested ?? canonical}'. Fix: use a model on the key's allow-list ({string.Join(", ", caller.AllowedModels)}) or ask an admin for a key that allows '{requested ?? canonical}'",
                "model");
        }

        return backend;
    }

    public static IInferenceBackend ResolveModelFor(this GatewayState state, HttpContext ctx, string? requested) => state.ResolveModelFor(ctx, requested, out _);

    /// <summary>
    /// <see cref="ResolveModelFor(GatewayState, HttpContext, string?, out string?)"/> after fetching a fine-tuned adapter
    /// another replica finished, when the request names one this replica does not hold yet (<see cref="FineTunedAdapters.EnsureAsync"/>).
    /// </summary>
    public static async Task<(IInferenceBackend Backend, string? Adapter)> ResolveModelForAsync(this GatewayState state, HttpContext ctx, string? requested)
    {
        if (state.FineTunedAdapters is { } adapters)
        {
            await adapters.EnsureAsync(requested, ctx.GetCaller(), ctx.RequestAborted);
        }

        var backend = state.ResolveModelFor(ctx, requested, out string? adapter);
        return (backend, adapter);
    }
}
