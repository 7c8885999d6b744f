using System.Net;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Which requests need which key. Public without a key: <c>GET /health</c> (liveness for load balancers) and
/// <c>/metrics</c> from a loopback client (a local Prometheus agent); <c>/metrics</c> from elsewhere needs an admin
/// key. Admin scope: the endpoints marked <see cref="RequiredScope"/>, everything under <c>/v1/admin/</c>,
/// <c>/health/details</c> and the LoRA adapter routes. Every other route (and unknown paths, so 404s do not reveal routes) needs inference.
/// </summary>
public static class AuthPolicy
{
    public static bool IsPublic(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        if (path.Equals("/health", StringComparison.Ordinal))
        {
            return true;
        }

        return path.Equals("/metrics", StringComparison.Ordinal) && ctx.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);
    }

    /// <summary>True for the routes an audit row is written for (all but health checks and metric scrapes).</summary>
    public static bool IsAudited(PathString path) =>
        !path.StartsWithSegments("/health", StringComparison.Ordinal) && !path.Equals("/metrics", StringComparison.Ordinal);

    public static string ScopeFor(HttpContext ctx)
    {
        if (ctx.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is { } declared)
        {
            return declared.Scope;
        }

        var path = ctx.Request.Path;
        return path.StartsWithSegments("/v1/admin", StringComparison.Ordinal)
            || path.Equals("/v1/load_lora_adapter", StringComparison.Ordinal)
            || path.Equals("/v1/unload_lora_adapter", StringComparison.Ordinal)
            || path.Equals("/metrics", StringComparison.Ordinal)
            || path.Equals("/health/details", StringComparison.Ordinal)
            ? AuthScopes.Admin
            : AuthScopes.Inference;
    }
}
