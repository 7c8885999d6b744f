using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>A key never mints, or rotates into, a key broader than itself: scopes, models and expiry are bounded by the
/// caller's; requests that leave models or expiry out inherit the caller's; the unrestricted operator is unaffected.</summary>
public sealed class KeyGrantTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage resp, HttpStatusCode expected)
    {
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(expected == resp.StatusCode, $"expected {expected}, got {resp.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task A_restricted_short_lived_admin_mints_keys_no_broader_than_itself()
    {
        await using var s = await AuthServer.StartAsync();
        var expiry = s.Time.GetUtcNow().AddDays(1);
        var admin = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin, AuthScopes.Inference], models: ["fake"], expiresAt: expiry);

        // Leaving models and expiry out inherits the caller's, instead of "every model, forever".
        var inherited = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"scopes":["inference"]}"""), HttpStatusCode.Created);
        Assert.Equal(["fake"], inherited.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(expiry.ToUnixTimeSeconds(), inherited.GetProperty("expires_at").GetInt64());

        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"models":["other"]}"""), 403, "insufficient_scope", "models");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"models":["fake","other"]}"""), 403, "insufficient_scope", "models");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"expires_in":"30d"}"""), 403, "insufficient_scope", "expires_in");
        long later = expiry.AddSeconds(1).ToUnixTimeSeconds();
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, $$"""{"expires_at":{{later}}}"""), 403, "insufficient_scope", "expires_at");

        var narrower = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"models":["fake"],"expires_in":"1h"}"""), HttpStatusCode.Created);
        Assert.Equal(s.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), narrower.GetProperty("expires_at").GetInt64());

        // Nothing broader was stored by the refused requests.
        var keys = await s.Keys.ListAsync("acme");
        Assert.Equal(3, keys.Count);
        Assert.All(keys, k => Assert.True(k.AllowedModels.SequenceEqual(["fake"]) && k.ExpiresAt <= expiry, $"{k.Id} is broader than its creator"));
    }

    [Fact]
    public async Task A_tenant_admin_grants_only_scopes_it_holds()
    {
        await using var s = await AuthServer.StartAsync();
        var adminOnly = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin]);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminOnly.Secret, """{"scopes":["inference"]}"""), 403, "insufficient_scope", "scopes");
        // No scopes means inference, which this key lacks.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminOnly.Secret, "{}"), 403, "insufficient_scope", "scopes");
        await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminOnly.Secret, """{"scopes":["admin"]}"""), HttpStatusCode.Created);
        // Admin implies metrics: a scraper key is narrower than its creator.
        await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminOnly.Secret, """{"scopes":["metrics"]}"""), HttpStatusCode.Created);
        // An unknown scope is still a 400 naming the valid ones.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminOnly.Secret, """{"scopes":["root"]}"""), 400, "invalid_request_error");
    }

    [Fact]
    public async Task Rotation_cannot_hand_a_restricted_admin_the_secret_of_a_broader_key()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin, AuthScopes.Inference], models: ["fake"], expiresAt: s.Time.GetUtcNow().AddDays(1));
        var unrestricted = await s.IssueAsync(tenant: "acme");
        var forever = await s.IssueAsync(tenant: "acme", models: ["fake"]);
        var adminScoped = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin, AuthScopes.Inference, AuthScopes.Metrics], models: ["fake"], expiresAt: s.Time.GetUtcNow().AddHours(1));
        var within = await s.IssueAsync(tenant: "acme", models: ["fake"], expiresAt: s.Time.GetUtcNow().AddHours(1));
        foreach (var broader in new[] { unrestricted, forever })
        {
            await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{broader.Record.Id}/rotate", admin.Secret), 403, "insufficient_scope");
        }

        var lesser = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Inference], models: ["fake"], expiresAt: s.Time.GetUtcNow().AddHours(1));
        var narrowAdmin = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin], models: ["fake"], expiresAt: s.Time.GetUtcNow().AddHours(2));
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{lesser.Record.Id}/rotate", narrowAdmin.Secret), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{adminScoped.Record.Id}/rotate", narrowAdmin.Secret), 403, "insufficient_scope");

        // The refused rotations changed nothing: the keys are still active and unreplaced.
        var stored = (await s.Keys.ListAsync("acme")).ToDictionary(k => k.Id);
        Assert.Null(stored[unrestricted.Record.Id].ReplacedBy);
        Assert.Null(stored[forever.Record.Id].ReplacedBy);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(unrestricted.Secret)).StatusCode);

        var rotated = await JsonAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{within.Record.Id}/rotate", admin.Secret), HttpStatusCode.OK);
        Assert.Equal(within.Record.ExpiresAt!.Value.ToUnixTimeSeconds(), rotated.GetProperty("expires_at").GetInt64());
        await JsonAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{admin.Record.Id}/rotate", admin.Secret), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_unrestricted_operator_is_unaffected()
    {
        await using var s = await AuthServer.StartAsync();
        var op = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Admin]);
        await s.Keys.UpsertTenantAsync("acme", null, disabled: false);
        var created = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", op.Secret, """{"tenant":"acme","scopes":["inference","admin"]}"""), HttpStatusCode.Created);
        Assert.Equal(0, created.GetProperty("models").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("expires_at").ValueKind);
        var user = await s.IssueAsync(tenant: "acme");
        await JsonAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{user.Record.Id}/rotate?tenant=acme", op.Secret), HttpStatusCode.OK);
    }
}
