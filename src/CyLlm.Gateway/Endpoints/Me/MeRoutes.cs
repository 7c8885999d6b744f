using System.Globalization;
using CyLlm.Gateway.Audit;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Me;

/// <summary>
/// <c>GET /v1/me</c> (any valid key but a worker-only one): the caller's tenant, scopes and allow-list.
/// <c>GET /v1/me/usage?hours=H</c> (inference or admin): the caller's own key's requests and tokens per hour over the
/// last H hours (default 24, at most 720), aggregated from the audit log — what an inference key may see of its usage
/// without reading the tenant's audit rows (admin only).
/// </summary>
public static class MeRoutes
{
    /// <summary>Most audit rows one usage answer reads: bounds the work of one request.</summary>
    private const int MaxRows = 10_000;

    public static IEndpointRouteBuilder MapMe(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/me", (HttpContext ctx) =>
        {
            var caller = RequireConsoleScope(ctx);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            return JsonResults.Ok(MeObject.From(caller, !state.Options.AuthDisabled));
        }).WithMetadata(new AnyKeyScope());
        app.MapGet("/v1/me/usage", async (HttpContext ctx) =>
        {
            var caller = RequireConsoleScope(ctx);
            if (!caller.HasScope(AuthScopes.Inference) && !caller.HasScope(AuthScopes.Admin))
            {
                throw new ApiError(403, ErrorCodes.InsufficientScope, "Usage is shown to inference and admin keys. Fix: use a key created with --scope inference");
            }

            var q = ctx.Request.Query;
            int hours = q["hours"].Count == 0 ? 24
                : int.TryParse(q["hours"][0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && h is >= 1 and <= 720 ? h
                : throw ApiError.BadRequest("hours must be an integer between 1 and 720", "hours");
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var now = state.Time.GetUtcNow();
            long bucket = hours <= 48 ? 3600 : 86_400;
            long since = (now.ToUnixTimeSeconds() - (hours * 3600L)) / bucket * bucket;
            // Rows of requests that just finished reach the store first (bounded wait), as GET /v1/admin/audit does.
            await ctx.RequestServices.GetRequiredService<AuditWriter>().FlushAsync(TimeSpan.FromSeconds(2));
            var rows = await state.Store.ListAuditAsync(caller.TenantId, DateTimeOffset.FromUnixTimeSeconds(since), MaxRows, ctx.RequestAborted);
            var buckets = rows
                .Where(r => caller.KeyPrefix is null || r.KeyPrefix == caller.KeyPrefix)
                .GroupBy(r => r.At.ToUnixTimeSeconds() / bucket * bucket)
                .OrderBy(g => g.Key)
                .Select(g => new UsageBucket(g.Key, g.LongCount(), g.LongCount(r => r.Status >= 400), g.Sum(r => r.PromptTokens), g.Sum(r => r.CompletionTokens)))
                .ToList();
            return JsonResults.Ok(new UsageReport("usage", caller.KeyPrefix, since, bucket, buckets));
        }).WithMetadata(new AnyKeyScope());
        return app;
    }

    /// <summary>The caller unless its key is a worker-only key: those reach the disaggregation routes and nothing else.</summary>
    private static Caller RequireConsoleScope(HttpContext ctx)
    {
        var caller = ctx.GetCaller();
        if (!caller.HasScope(AuthScopes.Inference) && !caller.HasScope(AuthScopes.Admin) && !caller.HasScope(AuthScopes.Metrics))
        {
            throw new ApiError(403, ErrorCodes.InsufficientScope,
                "A worker key reaches the internal disaggregation routes only. Fix: use an inference or admin key");
        }

        return caller;
    }
}
