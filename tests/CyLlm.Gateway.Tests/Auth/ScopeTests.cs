using System.Net;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>Scopes (403 insufficient_scope) and the per-key model allow-list.</summary>
public sealed class ScopeTests
{
    [Fact]
    public async Task An_inference_key_cannot_use_admin_routes_and_an_admin_only_key_cannot_generate()
    {
        await using var s = await AuthServer.StartAsync();
        var inference = await s.IssueAsync();
        var adminOnly = await s.IssueAsync(scopes: [AuthScopes.Admin]);
        foreach (var (method, path, body) in new[]
        {
            (HttpMethod.Get, "/v1/admin/keys", (string?)null),
            (HttpMethod.Post, "/v1/admin/keys", "{}"),
            (HttpMethod.Get, "/v1/admin/audit", null),
            (HttpMethod.Post, "/v1/admin/tenants", """{"id":"x"}"""),
            (HttpMethod.Post, "/v1/load_lora_adapter", """{"lora_name":"a","lora_path":"/nope"}"""),
            (HttpMethod.Post, "/v1/unload_lora_adapter", """{"lora_name":"a"}"""),
        })
        {
            var e = await ErrorAssert.IsAsync(await s.SendAsync(method, path, inference.Secret, body), 403, "insufficient_scope");
            Assert.Equal("permission_error", e.GetProperty("type").GetString());
            Assert.Contains("admin", e.GetProperty("message").GetString());
        }

        await ErrorAssert.IsAsync(await s.ChatAsync(adminOnly.Secret), 403, "insufficient_scope");
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", adminOnly.Secret)).StatusCode);
    }

    [Fact]
    public async Task A_model_outside_the_allow_list_is_refused_naming_the_model()
    {
        await using var s = await AuthServer.StartAsync();
        var onlyOther = await s.IssueAsync(models: ["llama-3-8b"]);
        var onlyFake = await s.IssueAsync(models: ["fake"]);
        var e = await ErrorAssert.IsAsync(await s.ChatAsync(onlyOther.Secret), 403, "insufficient_scope", "model");
        Assert.Contains("'fake'", e.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(onlyFake.Secret)).StatusCode);
        var emb = await s.SendAsync(HttpMethod.Post, "/v1/embeddings", onlyOther.Secret, """{"model":"fake","input":"hi"}""");
        Assert.Equal(HttpStatusCode.Forbidden, emb.StatusCode);
        var cmpl = await s.SendAsync(HttpMethod.Post, "/v1/completions", onlyOther.Secret, """{"prompt":"hi","max_tokens":2}""");
        await ErrorAssert.IsAsync(cmpl, 403, "insufficient_scope", "model");
    }

    [Fact]
    public async Task A_key_with_an_allow_list_sees_and_tokenizes_only_its_models()
    {
        await using var s = await AuthServer.StartAsync();
        var onlyOther = await s.IssueAsync(models: ["llama-3-8b"]);
        var any = await s.IssueAsync();
        var hidden = await s.SendAsync(HttpMethod.Get, "/v1/models", onlyOther.Secret);
        Assert.Equal(HttpStatusCode.OK, hidden.StatusCode);
        Assert.DoesNotContain("\"fake\"", await hidden.Content.ReadAsStringAsync());
        Assert.Contains("\"fake\"", await (await s.SendAsync(HttpMethod.Get, "/v1/models", any.Secret)).Content.ReadAsStringAsync());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/v1/models/fake", onlyOther.Secret), 403, "insufficient_scope", "model");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/tokenize", onlyOther.Secret, """{"model":"fake","prompt":"hi"}"""), 403, "insufficient_scope", "model");
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/tokenize", any.Secret, """{"model":"fake","prompt":"hi"}""")).StatusCode);
    }
}
