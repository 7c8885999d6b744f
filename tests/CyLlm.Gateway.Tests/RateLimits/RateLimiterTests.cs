using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Observability;
using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace CyLlm.Gateway.Tests.RateLimits;

/// <summary>The limiter's policy on a fake clock: per key vs per tenant, overrides, token estimates corrected by usage.</summary>
public sealed class RateLimiterTests
{
    private static readonly string[] NoScopes = [];

    private static (RateLimiter Limiter, ManualTimeProvider Time) Create(RateLimitOptions o)
    {
        var time = new ManualTimeProvider();
        return (new RateLimiter(o, new InMemoryRateLimitStore(time, o.Window), new GatewayMetrics(), NullLogger.Instance), time);
    }

    private static HttpContext Ctx(string tenant, string? key)
    {
        var ctx = new DefaultHttpContext();
        ctx.SetCaller(new Caller(tenant, key, key is null ? null : "sk-cy-" + key, NoScopes, NoScopes));
        return ctx;
    }

    private static async Task<ApiError?> Try(RateLimiter limiter, HttpContext ctx)
    {
        try
        {
            await limiter.AdmitRequestAsync(ctx);
            return null;
        }
        catch (ApiError e)
        {
            return e;
        }
    }

    [Fact]
    public async Task Key_and_tenant_limits_apply_separately_and_the_error_names_which()
    {
        var (limiter, _) = Create(new RateLimitOptions { PerKey = new() { RequestsPerMinute = 2 }, PerTenant = new() { RequestsPerMinute = 3 } });
        Assert.Null(await Try(limiter, Ctx("acme", "a")));
        Assert.Null(await Try(limiter, Ctx("acme", "a")));
        var byKey = await Try(limiter, Ctx("acme", "a"));
        Assert.NotNull(byKey);
        Assert.Equal(429, byKey.Status);
        Assert.Equal(ErrorCodes.RateLimitExceeded, byKey.Code);
        Assert.Contains("API key", byKey.Message);

        // Key b has its own budget, but the tenant's third slot is the last one.
        Assert.Null(await Try(limiter, Ctx("acme", "b")));
        var byTenant = await Try(limiter, Ctx("acme", "b"));
        Assert.NotNull(byTenant);
        Assert.Contains("tenant 'acme'", byTenant.Message);

        // Another tenant is unaffected.
        Assert.Null(await Try(limiter, Ctx("globex", "c")));
    }

    [Fact]
    public async Task Overrides_by_key_id_key_prefix_and_tenant_replace_the_global_values()
    {
        var o = new RateLimitOptions
        {
            PerKey = new() { RequestsPerMinute = 1 },
            PerTenant = new() { RequestsPerMinute = 100 },
            Keys = { ["vip"] = new() { RequestsPerMinute = 3 }, ["sk-cy-pre"] = new() { RequestsPerMinute = 2 } },
            Tenants = { ["small"] = new() { RequestsPerMinute = 1 } },
        };
        var (limiter, _) = Create(o);
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(await Try(limiter, Ctx("t", "vip")));
        }

        Assert.NotNull(await Try(limiter, Ctx("t", "vip")));
        Assert.Null(await Try(limiter, Ctx("t", "pre")));
        Assert.Null(await Try(limiter, Ctx("t", "pre")));
        Assert.NotNull(await Try(limiter, Ctx("t", "pre")));
        Assert.Null(await Try(limiter, Ctx("t", "plain")));
        Assert.NotNull(await Try(limiter, Ctx("t", "plain")));
        Assert.Null(await Try(limiter, Ctx("small", "x")));
        Assert.Contains("tenant 'small'", (await Try(limiter, Ctx("small", "y")))!.Message);
    }

    [Fact]
    public async Task Rejection_carries_retry_after_and_ratelimit_headers()
    {
        var (limiter, time) = Create(new RateLimitOptions { PerTenant = new() { RequestsPerMinute = 2 } });
        Assert.Null(await Try(limiter, Ctx("t", null)));
        time.Advance(TimeSpan.FromSeconds(20.5));
        var ok = Ctx("t", null);
        Assert.Null(await Try(limiter, ok));
        Assert.Equal("2", ok.Response.Headers["x-ratelimit-limit-requests"].ToString());
        Assert.Equal("0", ok.Response.Headers["x-ratelimit-remaining-requests"].ToString());
        Assert.Equal("1m0s", ok.Response.Headers["x-ratelimit-reset-requests"].ToString());

        var e = await Try(limiter, Ctx("t", null));
        Assert.NotNull(e?.Headers);
        // The first entry (t = 0) leaves the window at 60 s: 39.5 s from now.
        Assert.Equal("39500", e.Headers["retry-after-ms"]);
        Assert.Equal("40", e.Headers["Retry-After"]);
        Assert.Equal("0", e.Headers["x-ratelimit-remaining-requests"]);
        Assert.Equal("2", e.Headers["x-ratelimit-limit-requests"]);
        Assert.Equal("1m0s", e.Headers["x-ratelimit-reset-requests"]);
    }

    [Fact]
    public async Task Token_estimate_is_charged_and_corrected_by_actual_usage()
    {
        var (limiter, _) = Create(new RateLimitOptions { PerTenant = new() { TokensPerMinute = 1000 } });
        var ctx = Ctx("t", null);
        var lease = await limiter.AdmitTokensAsync(ctx, 900);
        Assert.NotNull(lease);
        Assert.Equal("100", ctx.Response.Headers["x-ratelimit-remaining-tokens"].ToString());
        await Assert.ThrowsAsync<ApiError>(() => limiter.AdmitTokensAsync(Ctx("t", null), 200).AsTask());

        // The generation stopped early: 150 tokens used, not 900.
        await limiter.SettleAsync(lease, 150);
        var next = Ctx("t", null);
        Assert.NotNull(await limiter.AdmitTokensAsync(next, 800));
        Assert.Equal("50", next.Response.Headers["x-ratelimit-remaining-tokens"].ToString());
    }

    [Fact]
    public async Task A_request_larger_than_the_token_limit_is_refused_naming_max_tokens()
    {
        var (limiter, _) = Create(new RateLimitOptions { PerTenant = new() { TokensPerMinute = 100 } });
        var e = await Assert.ThrowsAsync<ApiError>(() => limiter.AdmitTokensAsync(Ctx("t", null), 101).AsTask());
        Assert.Equal(429, e.Status);
        Assert.Equal("max_tokens", e.Param);
        Assert.Contains("Request too large", e.Message);
        Assert.Equal("60", e.Headers!["Retry-After"]);
    }

    [Fact]
    public async Task No_limits_configured_means_no_checks_and_no_headers()
    {
        var (limiter, _) = Create(new RateLimitOptions());
        Assert.False(limiter.Enabled);
        var ctx = Ctx("t", "k");
        for (int i = 0; i < 100; i++)
        {
            await limiter.AdmitRequestAsync(ctx);
        }

        Assert.Null(await limiter.AdmitTokensAsync(ctx, 1_000_000));
        Assert.False(ctx.Response.Headers.ContainsKey("x-ratelimit-limit-requests"));
    }
}
