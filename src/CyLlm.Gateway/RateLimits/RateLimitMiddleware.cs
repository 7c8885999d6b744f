using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.RateLimits;

/// <summary>Counts every /v1 request, and every call of a disaggregation worker's internal routes, against the caller's
/// request limits (after authentication established the caller): a worker key is limited like any other key.
/// The route decides, not the path's spelling: <c>/V1/completions</c> is counted like <c>/v1/completions</c>.</summary>
public sealed class RateLimitMiddleware(RequestDelegate next, RateLimiter limiter)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (limiter.Enabled && (Auth.RouteMatch.IsUnder(ctx, "/v1") || Auth.RouteMatch.IsUnder(ctx, "/internal/disaggregation")))
        {
            await limiter.AdmitRequestAsync(ctx);
        }

        await next(ctx);
    }
}
