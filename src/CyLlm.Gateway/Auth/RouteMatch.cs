using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Path decisions (public routes, required scopes, rate limits, audit) made on the route that serves the request
/// rather than on the raw path. ASP.NET Core routing matches paths case-insensitively and ignores a trailing slash,
/// so an ordinal test of the path lets <c>/V1/completions</c> or <c>/metrics/</c> reach the same handler while
/// skipping the check. A matched route is compared by its pattern (the gateway's own lower-case literals); a request
/// no route serves (the 404 fallback) is compared by its path, ignoring case.
/// </summary>
public static class RouteMatch
{
    /// <summary>The matched route's pattern with a leading slash (<c>/v1/files/{id}</c>), or null when only the
    /// catch-all fallback (or nothing) matched. Routing runs before every middleware (WebApplication adds it first).</summary>
    public static string? Pattern(HttpContext ctx)
    {
        string? raw = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (raw is null || raw.StartsWith('{'))
        {
            return null;
        }

        return raw.StartsWith('/') ? raw : "/" + raw;
    }

    /// <summary>True when the request is served by the route <paramref name="route"/> (or, unmatched, its path is it).</summary>
    public static bool Is(HttpContext ctx, string route) =>
        Pattern(ctx) is { } p ? p.Equals(route, StringComparison.Ordinal) : ctx.Request.Path.Equals(route, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the request's route (or, unmatched, its path) lies under the segment prefix <paramref name="prefix"/>.</summary>
    public static bool IsUnder(HttpContext ctx, string prefix) =>
        Pattern(ctx) is { } p
            ? new PathString(p).StartsWithSegments(prefix, StringComparison.Ordinal)
            : ctx.Request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase);
}
