using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Hosting;

/// <summary>Looks up a server's base models by id (not adapters): for /status and fine-tuning, which name a base model.</summary>
public static class ServedModels
{
    /// <summary>The host serving base model <paramref name="id"/> (its configured id, or its backend's once loaded), or null.</summary>
    public static ModelHost? Find(GatewayState state, string id)
    {
        foreach (var host in state.Models)
        {
            if (host.ModelId == id || (host.Backend is { } b && b.ModelId == id))
            {
                return host;
            }
        }

        return null;
    }

    /// <summary>The host of <paramref name="id"/>, or 404 model_not_found naming the served base models.</summary>
    public static ModelHost Require(GatewayState state, string id, string param = "model", string what = "model") =>
        Find(state, id) ?? throw new ApiError(404, ErrorCodes.ModelNotFound,
            $"The {what} '{id}' is not served here. Fix: use one of the served base models: {IdList(state)} (see GET /v1/models)", param);

    /// <summary>The served base model ids, default first, as "'a', 'b'".</summary>
    public static string IdList(GatewayState state) => string.Join(", ", state.Models.Select(m => $"'{IdOf(m)}'"));

    /// <summary>The id clients use: the backend's once loaded, else the configured one.</summary>
    public static string IdOf(ModelHost host) => host.Backend?.ModelId ?? host.ModelId;

    /// <summary>The loaded backend of <paramref name="host"/>, or 503 while it loads (or after a failed load).</summary>
    public static IInferenceBackend RequireBackend(ModelHost host) => host.Backend ?? throw new ApiError(503, ErrorCodes.ServerOverloaded,
        host.Loading.IsFaulted
            ? $"The model '{host.ModelId}' failed to load. Fix: check the server log and restart it with a valid --model"
            : $"The model '{host.ModelId}' is still loading. Fix: wait until GET /health returns 200 and retry");
}
