using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Which requests need which key. Public without a key: <c>GET /health</c> (liveness for load balancers), and
/// the web console's page and files (<see cref="IsConsole"/>), <c>/metrics</c> only when the operator opened it (<see cref="GatewayOptions.MetricsPublic"/>): a loopback client is
/// not trusted by itself, because a reverse proxy on the same host makes every outside client look like loopback.
/// Otherwise <c>/metrics</c> needs the <see cref="AuthScopes.Metrics"/> scope (admin keys hold it implicitly). Admin
/// scope: the endpoints marked <see cref="RequiredScope"/>, everything under <c>/v1/admin/</c>, <c>/health/details</c>
/// and the LoRA adapter routes. Worker scope: the disaggregation routes under <c>/internal/disaggregation</c> and the engine-worker routes under <c>/internal/workers</c>. Every other route (and unknown paths, so 404s do not reveal routes) needs inference.
/// Every decision goes through <see cref="RouteMatch"/>, so the case or a trailing slash of the path changes nothing.
/// </summary>
public static class AuthPolicy
{
    public static bool IsPublic(HttpContext ctx, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RouteMatch.Is(ctx, "/health") || (options.MetricsPublic && RouteMatch.Is(ctx, "/metrics")) || IsConsole(ctx);
    }

    /// <summary>
    /// True for routes whose answer covers every tenant, so that only the operator tenant's keys may call them even
    /// with the right scope: <c>/metrics</c> (its labels name every tenant).
    /// </summary>
    public static bool IsOperatorOnly(HttpContext ctx) => RouteMatch.Is(ctx, "/metrics");

    /// <summary>True for the routes an audit row is written for (all but health checks and metric scrapes).</summary>
    public static bool IsAudited(HttpContext ctx) => !RouteMatch.IsUnder(ctx, "/health") && !RouteMatch.Is(ctx, "/metrics") && !IsConsole(ctx);

    /// <summary>True for the web console's page and files (<see cref="WebConsole.ConsoleRoute"/>): they hold no data, so they
    /// need no key; only mapped when the console is on, so with <c>--no-console</c> <c>/</c> is an ordinary unknown path.</summary>
    public static bool IsConsole(HttpContext ctx) => ctx.GetEndpoint()?.Metadata.GetMetadata<WebConsole.ConsoleRoute>() is not null;

    public static string ScopeFor(HttpContext ctx)
    {
        if (ctx.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>() is { } declared)
        {
            return declared.Scope;
        }

        if (RouteMatch.Is(ctx, "/metrics"))
        {
            return AuthScopes.Metrics;
        }

        if (RouteMatch.IsUnder(ctx, "/internal/disaggregation") || RouteMatch.IsUnder(ctx, Workers.WorkerRoutes.Prefix))
        {
            return AuthScopes.Worker;
        }

        return RouteMatch.IsUnder(ctx, "/v1/admin")
            || RouteMatch.Is(ctx, "/v1/load_lora_adapter")
            || RouteMatch.Is(ctx, "/v1/unload_lora_adapter")
            || RouteMatch.Is(ctx, "/health/details")
            ? AuthScopes.Admin
            : AuthScopes.Inference;
    }
}
