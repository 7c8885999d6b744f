using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>/v1/admin: keys and audit rows are isolated per tenant; operator-tenant admins manage every tenant.</summary>
public sealed class AdminTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage resp, HttpStatusCode expected = HttpStatusCode.OK)
    {
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(expected == resp.StatusCode, $"expected {expected}, got {resp.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Keys_created_over_the_admin_api_work_and_listings_never_show_keys_or_hashes()
    {
        await using var s = await AuthServer.StartAsync();
        // A tenant admin grants only scopes it holds, so this one holds inference too.
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var created = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret,
            """{"scopes":["inference"],"models":["fake"],"expires_in":"30d"}"""), HttpStatusCode.Created);
        string key = created.GetProperty("key").GetString()!;
        Assert.StartsWith(ApiKeySecret.Scheme, key);
        Assert.Equal("default", created.GetProperty("tenant").GetString());
        Assert.Equal(s.Time.GetUtcNow().AddDays(30).ToUnixTimeSeconds(), created.GetProperty("expires_at").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(key)).StatusCode);

        string list = await (await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", admin.Secret)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain(ApiKeySecret.Hash(key), list);
        Assert.DoesNotContain(ApiKeySecret.Hash(admin.Secret), list);
        Assert.DoesNotContain("\"key\"", list);
        var data = JsonDocument.Parse(list).RootElement.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.All(data.EnumerateArray(), k => Assert.Equal("active", k.GetProperty("status").GetString()));

        var revoked = await JsonAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{created.GetProperty("id").GetString()}/revoke", admin.Secret));
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        // Revocation through this server's admin API is visible at once (no TTL wait).
        await ErrorAssert.IsAsync(await s.ChatAsync(key), 401, "invalid_api_key");

        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"scopes":["root"]}"""), 400, "invalid_request_error");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"expires_in":"soon"}"""), 400, "invalid_request_error", "expires_in");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"nickname":"x"}"""), 400, "invalid_request_error", "nickname");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys/key_nope/revoke", admin.Secret), 404, "not_found");
    }

    [Fact]
    public async Task A_tenant_admin_sees_and_manages_only_its_own_tenant()
    {
        await using var s = await AuthServer.StartAsync();
        var adminA = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var adminB = await s.IssueAsync(tenant: "beta", scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var userB = await s.IssueAsync(tenant: "beta");

        var listA = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", adminA.Secret));
        Assert.Equal([adminA.Record.Id], listA.GetProperty("data").EnumerateArray().Select(k => k.GetProperty("id").GetString()));
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys?tenant=beta", adminA.Secret), 403, "insufficient_scope", "tenant");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/audit?tenant=beta", adminA.Secret), 403, "insufficient_scope", "tenant");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", adminA.Secret, """{"tenant":"beta"}"""), 403, "insufficient_scope", "tenant");
        // Another tenant's key id looks exactly like a missing one, and the key keeps working.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{userB.Record.Id}/revoke", adminA.Secret), 404, "not_found");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{userB.Record.Id}/rotate", adminA.Secret), 404, "not_found");
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(userB.Secret)).StatusCode);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/tenants", adminA.Secret, """{"id":"gamma"}"""), 403, "insufficient_scope");
        var tenantsA = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/tenants", adminA.Secret));
        Assert.Equal(["acme"], tenantsA.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()));

        // Audit rows: each tenant sees its own requests only.
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(adminA.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(adminB.Secret)).StatusCode);
        await s.FlushAuditAsync();
        var auditA = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/audit", adminA.Secret));
        var rowsA = auditA.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(rowsA);
        Assert.All(rowsA, r => Assert.Equal("acme", r.GetProperty("tenant").GetString()));
        Assert.DoesNotContain(rowsA, r => r.GetProperty("key_prefix").GetString() == adminB.Record.Prefix);
        var auditB = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/audit", adminB.Secret));
        Assert.All(auditB.GetProperty("data").EnumerateArray(), r => Assert.Equal("beta", r.GetProperty("tenant").GetString()));
    }

    [Fact]
    public async Task Operator_admins_manage_every_tenant()
    {
        await using var s = await AuthServer.StartAsync();
        var op = await s.IssueAsync(tenant: Caller.OperatorTenant, scopes: [AuthScopes.Admin]);
        var created = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/tenants", op.Secret, """{"id":"acme","name":"Acme Corp"}"""));
        Assert.Equal("Acme Corp", created.GetProperty("name").GetString());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", op.Secret, """{"tenant":"nobody"}"""), 404, "not_found");
        var key = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", op.Secret, """{"tenant":"acme","scopes":["inference"]}"""), HttpStatusCode.Created);
        string secret = key.GetProperty("key").GetString()!;
        Assert.Equal("acme", key.GetProperty("tenant").GetString());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(secret)).StatusCode);
        var list = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys?tenant=acme", op.Secret));
        Assert.Single(list.GetProperty("data").EnumerateArray());
        var tenants = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/tenants", op.Secret));
        Assert.Equal(["acme", "system"], tenants.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()));

        // Disabling through the admin API takes effect at once.
        await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/tenants", op.Secret, """{"id":"acme","disabled":true}"""));
        await ErrorAssert.IsAsync(await s.ChatAsync(secret), 401, "invalid_api_key");
    }

    [Fact]
    public async Task Audit_rows_record_route_pattern_status_tokens_key_prefix_and_refusals()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(tenant: "acme", scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var user = await s.IssueAsync(tenant: "acme");
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(user.Secret)).StatusCode);
        var stream = await s.SendAsync(HttpMethod.Post, "/v1/completions", user.Secret, """{"model":"fake","prompt":"abcd","max_tokens":2,"stream":true}""");
        Assert.Contains("[DONE]", await stream.Content.ReadAsStringAsync());
        await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{user.Record.Id}/revoke", admin.Secret);
        await ErrorAssert.IsAsync(await s.ChatAsync(user.Secret), 401, "invalid_api_key");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", user.Secret), 401, "invalid_api_key");
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/health", null)).StatusCode);
        await s.FlushAuditAsync();

        var rows = (await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/audit", admin.Secret))).GetProperty("data").EnumerateArray().Reverse().ToList();
        Assert.Equal(
            ["POST /v1/chat/completions 200", "POST /v1/completions 200", "POST /v1/admin/keys/{id}/revoke 200", "POST /v1/chat/completions 401", "GET /v1/admin/keys 401"],
            rows.Select(r => $"{r.GetProperty("method").GetString()} {r.GetProperty("endpoint").GetString()} {r.GetProperty("status").GetInt32()}"));
        var chat = rows[0];
        Assert.Equal(user.Record.Prefix, chat.GetProperty("key_prefix").GetString());
        Assert.Equal("acme", chat.GetProperty("tenant").GetString());
        Assert.True(chat.GetProperty("prompt_tokens").GetInt64() > 0);
        Assert.Equal(3, chat.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(2, rows[1].GetProperty("completion_tokens").GetInt64());
        Assert.Equal(5, rows[1].GetProperty("prompt_tokens").GetInt64()); // BOS + 4 characters with the fake tokenizer
        Assert.Equal(admin.Record.Prefix, rows[2].GetProperty("key_prefix").GetString());
        Assert.Equal(user.Record.Prefix, rows[3].GetProperty("key_prefix").GetString());
        Assert.All(rows, r => Assert.Equal(32, r.GetProperty("trace_id").GetString()!.Length));
        Assert.All(rows, r => Assert.True(r.GetProperty("duration_ms").GetDouble() >= 0));
    }
}
