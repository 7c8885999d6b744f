using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>
/// Routing ignores the case of a path (and a trailing slash), so every path decision must too: rate limits, the scope
/// a route needs and which requests are audited are decided on the matched route, not the path's spelling.
/// </summary>
public sealed class RouteCaseTests
{
    private const string Completion = """{"model":"fake","prompt":"hi","max_tokens":2}""";

    [Fact]
    public async Task Request_limits_count_every_spelling_of_a_v1_path()
    {
        await using var s = await AuthServer.StartAsync(o => o with
        {
            RateLimits = new RateLimitOptions { PerKey = new() { RequestsPerMinute = 3 } },
        });
        var key = await s.IssueAsync();
        foreach (string path in new[] { "/V1/completions", "/v1/Completions", "/v1/completions/" })
        {
            using var ok = await s.SendAsync(HttpMethod.Post, path, key.Secret, Completion);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"{path}: {(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
            Assert.True(ok.Headers.Contains("x-ratelimit-remaining-requests"), $"{path} was not counted");
        }

        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/completions", key.Secret, Completion), 429, "rate_limit_exceeded");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/V1/COMPLETIONS", key.Secret, Completion), 429, "rate_limit_exceeded");
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/METRICS")]
    [InlineData("/Metrics/")]
    public async Task Every_spelling_of_metrics_needs_the_metrics_scope(string path)
    {
        await using var s = await AuthServer.StartAsync();
        var inference = await s.IssueAsync();
        var scraper = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Metrics]);
        var admin = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Admin]);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, path, null), 401, "invalid_api_key");
        var e = await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, path, inference.Secret), 403, "insufficient_scope");
        Assert.Contains("metrics", e.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, path, scraper.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, path, admin.Secret)).StatusCode);
    }

    [Fact]
    public async Task Admin_routes_need_admin_whatever_the_spelling()
    {
        await using var s = await AuthServer.StartAsync();
        var inference = await s.IssueAsync();
        foreach (string path in new[] { "/V1/ADMIN/keys", "/v1/Admin/Audit", "/HEALTH/details", "/health/Details/" })
        {
            await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, path, inference.Secret), 403, "insufficient_scope");
        }

        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/HEALTH", null)).StatusCode);
    }

    [Fact]
    public async Task Audit_rows_follow_the_route_not_the_spelling()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var scraper = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Metrics]);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/V1/Completions", admin.Secret, Completion)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/METRICS", scraper.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/Health", null)).StatusCode);
        await s.FlushAuditAsync();
        using var audit = await s.SendAsync(HttpMethod.Get, "/v1/admin/audit", admin.Secret);
        var rows = JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement.GetProperty("data").EnumerateArray()
            .Select(r => r.GetProperty("method").GetString() + " " + r.GetProperty("endpoint").GetString()).ToList();
        Assert.Equal(["POST /v1/completions"], rows);
    }
}
