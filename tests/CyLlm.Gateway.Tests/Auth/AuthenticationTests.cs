using System.ClientModel;
using System.Net;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>The authentication middleware with auth on: 401 for missing, unknown, expired, revoked and past-grace
/// keys and disabled tenants; 200 with a good key through the official OpenAI SDK.</summary>
public sealed class AuthenticationTests
{
    [Fact]
    public async Task Requests_without_a_key_or_with_an_unknown_key_get_401_invalid_api_key()
    {
        await using var s = await AuthServer.StartAsync();
        var none = await ErrorAssert.IsAsync(await s.ChatAsync(null), 401, "invalid_api_key");
        Assert.Equal("authentication_error", none.GetProperty("type").GetString());
        Assert.Contains("cyllm keys create", none.GetProperty("message").GetString());
        string unknown = ApiKeySecret.Generate();
        var bad = await ErrorAssert.IsAsync(await s.ChatAsync(unknown), 401, "invalid_api_key");
        Assert.DoesNotContain(unknown, bad.GetProperty("message").GetString());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/models", "not-even-a-key"), 401, "invalid_api_key");
        var basic = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        basic.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        await ErrorAssert.IsAsync(await s.Server.Http.SendAsync(basic), 401, "invalid_api_key");
        // Unknown routes are not revealed to unauthenticated callers.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/no-such-route", null), 401, "invalid_api_key");
    }

    [Fact]
    public async Task A_good_key_works_through_the_OpenAI_SDK_and_the_api_key_header()
    {
        await using var s = await AuthServer.StartAsync();
        var issued = await s.IssueAsync();
        var client = new ChatClient("fake", new ApiKeyCredential(issued.Secret), new OpenAIClientOptions { Endpoint = new Uri(s.BaseUrl + "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        ChatCompletion done = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });
        Assert.Equal(3, done.Usage.OutputTokenCount);

        var wrong = new ChatClient("fake", new ApiKeyCredential(ApiKeySecret.Generate()), new OpenAIClientOptions { Endpoint = new Uri(s.BaseUrl + "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        var e = await Assert.ThrowsAsync<ClientResultException>(() => wrong.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, e.Status);

        var azure = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        azure.Headers.Add("api-key", issued.Secret);
        Assert.Equal(HttpStatusCode.OK, (await s.Server.Http.SendAsync(azure)).StatusCode);
    }

    [Fact]
    public async Task An_expired_key_is_refused_from_its_expiry_on()
    {
        await using var s = await AuthServer.StartAsync();
        var issued = await s.IssueAsync(expiresAt: s.Time.GetUtcNow().AddHours(1));
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(issued.Secret)).StatusCode);
        s.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(issued.Secret)).StatusCode);
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var e = await ErrorAssert.IsAsync(await s.ChatAsync(issued.Secret), 401, "invalid_api_key");
        Assert.Contains("expired", e.GetProperty("message").GetString());
        Assert.Contains(issued.Record.Prefix, e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_key_revoked_in_the_store_by_another_process_stops_working_within_the_cache_ttl()
    {
        await using var s = await AuthServer.StartAsync();
        var issued = await s.IssueAsync();
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(issued.Secret)).StatusCode);
        await s.Keys.RevokeAsync("default", issued.Record.Id);
        // Within the TTL the cached lookup may still answer; past it the revocation must be visible.
        s.Time.Advance(s.Server.App.State.Options.AuthCacheTtl);
        var e = await ErrorAssert.IsAsync(await s.ChatAsync(issued.Secret), 401, "invalid_api_key");
        Assert.Contains("revoked", e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_key_created_in_the_store_after_start_is_accepted_without_restart()
    {
        await using var s = await AuthServer.StartAsync();
        var first = await s.IssueAsync();
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(first.Secret)).StatusCode);
        var later = await s.IssueAsync(tenant: "acme");
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(later.Secret)).StatusCode);
    }

    [Fact]
    public async Task Rotation_keeps_old_and_new_keys_working_during_the_grace_then_only_the_new_one()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var old = await s.IssueAsync(models: ["fake"]);
        var resp = await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{old.Record.Id}/rotate", admin.Secret, """{"grace":"1h"}""");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement;
        string fresh = body.GetProperty("key").GetString()!;
        Assert.NotEqual(old.Secret, fresh);
        Assert.Equal(["fake"], body.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(old.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(fresh)).StatusCode);
        s.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(old.Secret)).StatusCode);
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var e = await ErrorAssert.IsAsync(await s.ChatAsync(old.Secret), 401, "invalid_api_key");
        Assert.Contains("grace", e.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(fresh)).StatusCode);

        // A replaced key cannot be rotated again.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{old.Record.Id}/rotate", admin.Secret), 400, "invalid_request_error");
    }

    [Fact]
    public async Task A_disabled_tenant_has_its_keys_refused()
    {
        await using var s = await AuthServer.StartAsync();
        var issued = await s.IssueAsync(tenant: "acme");
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(issued.Secret)).StatusCode);
        await s.Keys.UpsertTenantAsync("acme", null, disabled: true);
        s.Time.Advance(s.Server.App.State.Options.AuthCacheTtl);
        var e = await ErrorAssert.IsAsync(await s.ChatAsync(issued.Secret), 401, "invalid_api_key");
        Assert.Contains("disabled", e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Health_is_public_and_metrics_needs_a_key_even_on_loopback()
    {
        await using var s = await AuthServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/health", null)).StatusCode);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/metrics", null), 401, "invalid_api_key");
    }
}
