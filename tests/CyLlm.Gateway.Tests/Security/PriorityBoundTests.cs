using System.Net;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>A client's priority never beats its tenant's default (lower runs first): smaller values are raised to the
/// default, so int.MinValue cannot preempt other tenants or override the operator's per-tenant setting.</summary>
public sealed class PriorityBoundTests
{
    [Theory]
    [InlineData(int.MinValue, 3)]
    [InlineData(-1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(7, 7)]
    [InlineData(int.MaxValue, int.MaxValue)]
    public async Task A_client_priority_is_raised_to_the_tenants_default(int sent, int expected)
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend, o => o with { TenantDefaultPriorities = new() { ["default"] = 3 } });
        foreach (string path in new[] { "/v1/completions", "/v1/chat/completions" })
        {
            string body = path == "/v1/completions"
                ? $$"""{"prompt":"ab","max_tokens":2,"priority":{{sent}}}"""
                : $$"""{"messages":[{"role":"user","content":"ab"}],"max_tokens":2,"priority":{{sent}}}""";
            using var r = await s.PostJsonAsync(path, body);
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            Assert.Equal(expected, backend.LastRequest!.Priority);
        }
    }

    [Fact]
    public async Task Each_tenant_is_bounded_by_its_own_default()
    {
        var backend = new FakeBackend();
        await using var s = await AuthServer.StartAsync(o => o with
        {
            BackendFactory = () => backend,
            TenantDefaultPriorities = new() { ["gold"] = -10 },
        });
        var gold = await s.IssueAsync("gold");
        var free = await s.IssueAsync("free", [AuthScopes.Inference]);

        async Task<int?> SentAsync(IssuedApiKey key, int priority)
        {
            using var r = await s.SendAsync(HttpMethod.Post, "/v1/completions", key.Secret, $$"""{"model":"fake","prompt":"ab","max_tokens":2,"priority":{{priority}}}""");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return backend.LastRequest!.Priority;
        }

        // A tenant without a configured default is bounded by 0, the engine's default.
        Assert.Equal(0, await SentAsync(free, int.MinValue));
        Assert.Equal(0, await SentAsync(free, -10));
        Assert.Equal(-10, await SentAsync(gold, int.MinValue));
        Assert.Equal(-5, await SentAsync(gold, -5));
    }
}
