using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.RateLimits;

/// <summary>Counts every /v1 request against the caller's request limits (after authentication established the caller).</summary>
public sealed class RateLimitMiddleware(RequestDelegate next, RateLimiter limiter)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (limiter.Enabled && ctx.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            await limiter.AdmitRequestAsync(ctx);
        }

        await next(ctx);
    }
}
