using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Models;

/// <summary>
/// Base models at run time: the operator loads a model beside the served one, it serves and shows in /v1/models, and
/// unloading takes it out of service; a tenant admin cannot; a model over the memory budget is refused with the
/// numbers before anything is mapped; bad paths, ids and duplicates are clear errors.
/// </summary>
public sealed class ModelAdminTests
{
    private static string Tiny => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "models", "llama-2-tiny-random.gguf"));

    private static Task<AuthServer> StartAsync(long budget = 0) =>
        AuthServer.StartAsync(o => o with { BackendFactory = null, ModelPath = RepoPaths.StoriesModel, Threads = 1, KvCacheBytes = 8 << 20, MemoryBudgetBytes = budget });

    private static Task<HttpResponseMessage> Load(AuthServer s, string key, object body) =>
        s.SendAsync(HttpMethod.Post, "/v1/admin/models", key, JsonSerializer.Serialize(body));

    private static async Task<string[]> ModelIds(AuthServer s, string key)
    {
        using var resp = await s.SendAsync(HttpMethod.Get, "/v1/models", key);
        return [.. JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task The_operator_loads_a_model_that_serves_and_unloads_it()
    {
        await using var s = await StartAsync();
        await s.Server.App.State.Model.Loading;
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);

        using var loaded = await Load(s, op.Secret, new { model = Tiny, id = "tiny" });
        string body = await loaded.Content.ReadAsStringAsync();
        Assert.True(loaded.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(["stories260K", "tiny"], await ModelIds(s, op.Secret));
        using (var m = await s.SendAsync(HttpMethod.Get, "/v1/models/tiny", op.Secret))
        {
            var model = JsonDocument.Parse(await m.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("F16", model.GetProperty("quantization").GetString());
            Assert.Equal(513_048, model.GetProperty("parameters").GetInt64());
        }

        using (var chat = await s.ChatAsync(op.Secret, "tiny"))
        {
            Assert.True(chat.StatusCode == HttpStatusCode.OK, await chat.Content.ReadAsStringAsync());
        }

        // The same id again is a conflict; the default model cannot be unloaded.
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = Tiny, id = "tiny" }), 409, "invalid_request_error", "id");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Delete, "/v1/admin/models/stories260K", op.Secret), 409, "invalid_request_error", "id");

        using (var gone = await s.SendAsync(HttpMethod.Delete, "/v1/admin/models/tiny", op.Secret))
        {
            Assert.Equal(HttpStatusCode.OK, gone.StatusCode);
        }

        Assert.Equal(["stories260K"], await ModelIds(s, op.Secret));
        await ErrorAssert.IsAsync(await s.ChatAsync(op.Secret, "tiny"), 404, "model_not_found");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Delete, "/v1/admin/models/tiny", op.Secret), 404, "model_not_found", "id");
    }

    [Fact]
    public async Task Only_the_operator_loads_and_bad_requests_are_clear()
    {
        await using var s = await StartAsync();
        await s.Server.App.State.Model.Loading;
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);
        var tenantAdmin = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var user = await s.IssueAsync("acme");

        await ErrorAssert.IsAsync(await Load(s, tenantAdmin.Secret, new { model = Tiny }), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await Load(s, user.Secret, new { model = Tiny }), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Delete, "/v1/admin/models/x", tenantAdmin.Secret), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { id = "x" }), 400, "invalid_request_error", "model");
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = "/no/such/model.gguf" }), 400, "invalid_request_error", "model");
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = Tiny, id = "a:b" }), 400, "invalid_request_error", "id");
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = Tiny, context = 4 }), 400, "invalid_request_error", "context");

        // Not a model: the load fails with the loader's reason and nothing stays registered.
        string notModel = Path.Combine(Directory.CreateTempSubdirectory("cyllm-admin-").FullName, "junk.gguf");
        await File.WriteAllBytesAsync(notModel, new byte[64]);
        await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = notModel, id = "junk" }), 400, "invalid_request_error", "model");
        Assert.Equal(["stories260K"], await ModelIds(s, op.Secret));
    }

    [Fact]
    public async Task A_model_over_the_memory_budget_is_refused_with_the_numbers()
    {
        // Room for stories260K (1.1 MiB) and its 8 MiB KV cache, not for a second model with its own.
        await using var s = await StartAsync(budget: 12L << 20);
        await s.Server.App.State.Model.Loading;
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);
        var e = await ErrorAssert.IsAsync(await Load(s, op.Secret, new { model = Tiny, id = "tiny" }), 400, "insufficient_memory", "model");
        string message = e.GetProperty("message").GetString()!;
        Assert.Contains("of KV cache", message, StringComparison.Ordinal);
        Assert.Contains("12 MiB budget", message, StringComparison.Ordinal);
        Assert.Equal(["stories260K"], await ModelIds(s, op.Secret));
    }
}
