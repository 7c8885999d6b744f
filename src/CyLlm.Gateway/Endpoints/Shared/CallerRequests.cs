using CyLlm.Engine.Generation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// Ties an engine request to the caller that sent it (chat, completions, and the batch lines that run through them):
/// its tenant and adapter, the tenant's prefix-cache salt (cached prompts are never shared across tenants), and a
/// priority the client cannot use to jump ahead of the operator's policy.
/// </summary>
public static class CallerRequests
{
    /// <summary>
    /// The request for the caller's tenant. A client <c>priority</c> may only make its request less urgent than the
    /// tenant's default (<see cref="GatewayOptions.TenantDefaultPriorities"/>, else 0; lower runs first): a smaller
    /// value is raised to that default, so <c>"priority": -2147483648</c> neither preempts other tenants nor overrides
    /// the operator. Without <c>priority</c> the engine applies the default itself.
    /// </summary>
    public static GenerationRequest ForCaller(this GenerationRequest request, HttpContext ctx, GatewayState state, string? adapter)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(state);
        string tenant = ctx.GetCaller().TenantId;
        return request with
        {
            Adapter = adapter,
            TenantId = tenant,
            CacheSalt = state.CacheSalts.For(tenant),
            Priority = Bounded(request.Priority, DefaultPriority(state.Options, tenant)),
        };
    }

    /// <summary>The tenant's default priority, as the serving engine resolves it for requests that give none.</summary>
    public static int DefaultPriority(GatewayOptions options, string tenant) =>
        options.TenantDefaultPriorities is { } map && map.TryGetValue(tenant, out int p) ? p : 0;

    private static int? Bounded(int? requested, int floor) => requested is { } p && p < floor ? floor : requested;
}
