using System.Net;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>/metrics needs a key even from loopback (a reverse proxy on the same host makes every client loopback),
/// unless the operator opens it with Gateway:MetricsPublic.</summary>
public sealed class MetricsAccessTests
{
    [Fact]
    public async Task Metrics_from_loopback_needs_a_key_by_default()
    {
        await using var s = await AuthServer.StartAsync();
        Assert.False(s.Server.App.State.Options.MetricsPublic);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/metrics", null), 401, "invalid_api_key");
        var scraper = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Metrics]);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/metrics", scraper.Secret)).StatusCode);
        // A metrics-only key reads metrics and nothing else.
        await ErrorAssert.IsAsync(await s.ChatAsync(scraper.Secret), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", scraper.Secret), 403, "insufficient_scope");
    }

    [Fact]
    public async Task Metrics_public_opens_every_spelling_of_metrics_and_nothing_else()
    {
        await using var s = await AuthServer.StartAsync(o => o with { MetricsPublic = true });
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/metrics", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/METRICS", null)).StatusCode);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/models", null), 401, "invalid_api_key");
    }

    [Fact]
    public async Task A_tenants_keys_never_read_metrics_which_name_every_tenant()
    {
        // The scrape's labels name every tenant: a tenant's admin or metrics key would learn who else uses the server.
        await using var s = await AuthServer.StartAsync();
        var tenantAdmin = await s.IssueAsync(tenant: "alice", scopes: [AuthScopes.Admin]);
        var tenantScraper = await s.IssueAsync(tenant: "alice", scopes: [AuthScopes.Metrics]);
        var e = await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/metrics", tenantAdmin.Secret), 403, "insufficient_scope");
        Assert.Contains("operator", e.GetProperty("message").GetString());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/METRICS", tenantScraper.Secret), 403, "insufficient_scope");
        var operatorScraper = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Metrics]);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/metrics", operatorScraper.Secret)).StatusCode);
    }
}
