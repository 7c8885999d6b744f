using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.WebConsole;

/// <summary>GET /v1/me and GET /v1/me/usage: what the console asks to decide which pages a key sees.</summary>
public sealed class MeTests
{
    [Fact]
    public async Task An_inference_key_learns_its_tenant_and_scopes_and_never_its_secret()
    {
        await using var s = await AuthServer.StartAsync();
        var key = await s.IssueAsync("acme", [AuthScopes.Inference], ["fake"]);
        var r = await s.SendAsync(HttpMethod.Get, "/v1/me", key.Secret);
        string body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.DoesNotContain(key.Secret, body);
        var me = JsonDocument.Parse(body).RootElement;
        Assert.Equal("caller", me.GetProperty("object").GetString());
        Assert.Equal("acme", me.GetProperty("tenant").GetString());
        Assert.Equal(key.Record.Prefix, me.GetProperty("key_prefix").GetString());
        Assert.Equal(["inference"], me.GetProperty("scopes").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["fake"], me.GetProperty("models").EnumerateArray().Select(x => x.GetString()));
        Assert.False(me.GetProperty("operator").GetBoolean());
        Assert.True(me.GetProperty("auth_enabled").GetBoolean());
    }

    [Fact]
    public async Task An_admin_only_key_of_the_operator_tenant_is_answered_as_operator()
    {
        await using var s = await AuthServer.StartAsync();
        var key = await s.IssueAsync("system", [AuthScopes.Admin]);
        var me = JsonDocument.Parse(await (await s.SendAsync(HttpMethod.Get, "/v1/me", key.Secret)).Content.ReadAsStringAsync()).RootElement;
        Assert.True(me.GetProperty("operator").GetBoolean());
        Assert.Equal(["admin"], me.GetProperty("scopes").EnumerateArray().Select(x => x.GetString()));
    }

    [Fact]
    public async Task Missing_wrong_and_worker_keys_get_error_objects()
    {
        await using var s = await AuthServer.StartAsync();
        var none = await s.SendAsync(HttpMethod.Get, "/v1/me", key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("invalid_api_key", ErrorAssert.Parse(await none.Content.ReadAsStringAsync()).GetProperty("code").GetString());
        var wrong = await s.SendAsync(HttpMethod.Get, "/v1/me", "sk-cy-not-a-real-key-000000000000000000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        ErrorAssert.Parse(await wrong.Content.ReadAsStringAsync());
        var worker = await s.IssueAsync("default", [AuthScopes.Worker]);
        var w = await s.SendAsync(HttpMethod.Get, "/v1/me", worker.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, w.StatusCode);
        Assert.Equal("insufficient_scope", ErrorAssert.Parse(await w.Content.ReadAsStringAsync()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await s.SendAsync(HttpMethod.Get, "/v1/me/usage", worker.Secret)).StatusCode);
    }

    [Fact]
    public async Task Usage_counts_the_own_keys_requests_and_tokens_only()
    {
        await using var s = await AuthServer.StartAsync();
        var mine = await s.IssueAsync("acme");
        var other = await s.IssueAsync("acme");
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(mine.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(mine.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(other.Secret)).StatusCode);
        await s.FlushAuditAsync();
        var r = await s.SendAsync(HttpMethod.Get, "/v1/me/usage?hours=24", mine.Secret);
        string body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var u = JsonDocument.Parse(body).RootElement;
        Assert.Equal("usage", u.GetProperty("object").GetString());
        Assert.Equal(3600, u.GetProperty("bucket_seconds").GetInt64());
        var buckets = u.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, buckets.Sum(b => b.GetProperty("requests").GetInt64()));
        Assert.Equal(0, buckets.Sum(b => b.GetProperty("errors").GetInt64()));
        Assert.Equal(6, buckets.Sum(b => b.GetProperty("completion_tokens").GetInt64()));
        Assert.True(buckets.Sum(b => b.GetProperty("prompt_tokens").GetInt64()) > 0);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("721")]
    [InlineData("abc")]
    public async Task A_bad_period_is_a_400_naming_hours(string hours)
    {
        await using var s = await AuthServer.StartAsync();
        var key = await s.IssueAsync();
        var r = await s.SendAsync(HttpMethod.Get, $"/v1/me/usage?hours={hours}", key.Secret);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("hours", ErrorAssert.Parse(await r.Content.ReadAsStringAsync()).GetProperty("param").GetString());
    }

    [Fact]
    public async Task With_auth_off_the_caller_is_the_anonymous_operator()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var me = JsonDocument.Parse(await s.Http.GetStringAsync("/v1/me")).RootElement;
        Assert.False(me.GetProperty("auth_enabled").GetBoolean());
        Assert.Equal("default", me.GetProperty("tenant").GetString());
        Assert.True(me.GetProperty("operator").GetBoolean());
    }
}
