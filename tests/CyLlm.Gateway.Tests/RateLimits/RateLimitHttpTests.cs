using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.RateLimits;

/// <summary>Rate limits over HTTP: headers on success, 429 with Retry-After, token limits, Redis fail-open/closed.</summary>
public sealed class RateLimitHttpTests
{
    private const string Body = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":3}";

    [Fact]
    public async Task Request_limit_sets_headers_on_success_and_answers_429_with_retry_after()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with
        {
            RateLimits = new RateLimitOptions { PerTenant = new() { RequestsPerMinute = 3 } },
        });
        for (int i = 0; i < 3; i++)
        {
            using var ok = await server.PostJsonAsync("/v1/completions", Body);
            Assert.Equal(200, (int)ok.StatusCode);
            Assert.Equal("3", ok.Headers.GetValues("x-ratelimit-limit-requests").Single());
            Assert.Equal((2 - i).ToString(), ok.Headers.GetValues("x-ratelimit-remaining-requests").Single());
            Assert.EndsWith("s", ok.Headers.GetValues("x-ratelimit-reset-requests").Single());
        }

        using var refused = await server.PostJsonAsync("/v1/completions", Body);
        await ErrorAssert.IsAsync(refused, 429, "rate_limit_exceeded");
        Assert.True(refused.Headers.RetryAfter?.Delta is { } d && d > TimeSpan.Zero && d <= TimeSpan.FromSeconds(60));
        Assert.True(long.Parse(refused.Headers.GetValues("retry-after-ms").Single()) is > 0 and <= 60_000);
        Assert.Equal("0", refused.Headers.GetValues("x-ratelimit-remaining-requests").Single());

        // /health and /metrics are not limited.
        using var health = await server.Http.GetAsync("/health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task Token_limit_counts_prompt_plus_max_tokens_and_sets_token_headers()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with
        {
            RateLimits = new RateLimitOptions { PerTenant = new() { TokensPerMinute = 100 } },
        });
        // The fake tokenizer: "hi" is BOS + 2 = 3 prompt tokens; 3 + 40 = 43 per request.
        const string body = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":40}";
        using (var r1 = await server.PostJsonAsync("/v1/completions", body))
        {
            Assert.Equal(200, (int)r1.StatusCode);
            Assert.Equal("100", r1.Headers.GetValues("x-ratelimit-limit-tokens").Single());
            Assert.Equal("57", r1.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
        }

        using (var r2 = await server.PostJsonAsync("/v1/completions", body))
        {
            Assert.Equal(200, (int)r2.StatusCode);
        }

        using var refused = await server.PostJsonAsync("/v1/completions", body);
        await ErrorAssert.IsAsync(refused, 429, "rate_limit_exceeded");
        Assert.Equal("14", refused.Headers.GetValues("x-ratelimit-remaining-tokens").Single());

        using var huge = await server.PostJsonAsync("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":500}");
        await ErrorAssert.IsAsync(huge, 429, "rate_limit_exceeded", "max_tokens");
    }

    [Fact]
    public async Task Redis_down_fails_open_by_default_and_counts_the_store_error()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with
        {
            RateLimits = new RateLimitOptions { PerTenant = new() { RequestsPerMinute = 1 }, Redis = "127.0.0.1:1" },
        });
        for (int i = 0; i < 3; i++)
        {
            using var ok = await server.PostJsonAsync("/v1/completions", Body);
            Assert.Equal(200, (int)ok.StatusCode);
        }

        string metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Matches(@"cyllm_ratelimit_store_errors_total(\{[^}]*\})? [3-9]", metrics);
    }

    [Fact]
    public async Task Redis_down_with_fail_closed_is_503_never_500()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with
        {
            RateLimits = new RateLimitOptions { PerTenant = new() { RequestsPerMinute = 1 }, Redis = "127.0.0.1:1", FailOpen = false },
        });
        using var r = await server.PostJsonAsync("/v1/completions", Body);
        await ErrorAssert.IsAsync(r, 503, "server_overloaded");
    }

    [Fact]
    public async Task Two_gateways_on_one_Redis_share_a_tenant_limit()
    {
        await RedisTestServer.EnsureReachableAsync();
        // A tenant name of its own: the Redis server outlives test runs.
        var limits = new RateLimitOptions { Tenants = { ["default"] = new() { RequestsPerMinute = 4 } }, Redis = RedisTestServer.Address };
        await using var a = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RateLimits = limits });
        await using var b = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RateLimits = limits });
        // Clear the shared bucket left by an earlier run.
        await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisTestServer.Address))
        {
            await admin.GetDatabase().KeyDeleteAsync(["cyllm:rl:t:default:req:z", "cyllm:rl:t:default:req:h", "cyllm:rl:t:default:req:t"]);
        }

        int ok = 0, limited = 0;
        for (int i = 0; i < 8; i++)
        {
            using var r = await (i % 2 == 0 ? a : b).PostJsonAsync("/v1/completions", Body);
            if ((int)r.StatusCode == 200)
            {
                ok++;
            }
            else if ((int)r.StatusCode == 429)
            {
                limited++;
            }
        }

        Assert.Equal(4, ok);
        Assert.Equal(4, limited);
    }
}
