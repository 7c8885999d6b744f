using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>Adapters belong to a tenant: another tenant neither sees nor uses nor unloads them; the operator's are shared.</summary>
public sealed class AdapterTenancyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-tenancy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<string> Models(AuthServer s, string key) =>
        await (await s.SendAsync(HttpMethod.Get, "/v1/models", key)).Content.ReadAsStringAsync();

    [Fact]
    public async Task A_tenants_adapter_is_invisible_and_unusable_for_another_tenant_and_the_operators_is_shared()
    {
        // Tenant admins load adapters only from inside the adapter directory.
        await using var s = await AuthServer.StartAsync(o => o with { BackendFactory = null, ModelPath = RepoPaths.StoriesModel, Threads = 2, AdapterDirectory = _dir });
        await s.Server.App.State.Model.Loading;
        CyLlm.Models.ModelConfig cfg;
        using (var loaded = CyLlm.Models.ModelLoader.Load(RepoPaths.StoriesModel))
        {
            cfg = loaded.Config;
        }

        string peft = PeftWriter.Write(Path.Combine(_dir, "peft"), cfg.Layers, cfg.Dim);
        var adminA = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var userA = await s.IssueAsync("acme");
        var adminB = await s.IssueAsync("globex", [AuthScopes.Admin, AuthScopes.Inference]);
        var userB = await s.IssueAsync("globex");
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);

        var load = await s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", adminA.Secret, JsonSerializer.Serialize(new { lora_name = "acme-style", lora_path = peft }));
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Contains("acme-style", await Models(s, userA.Secret));
        Assert.DoesNotContain("acme-style", await Models(s, userB.Secret));

        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(userA.Secret, "stories260K:acme-style")).StatusCode);
        var denied = await s.ChatAsync(userB.Secret, "stories260K:acme-style");
        var unknown = await s.ChatAsync(userB.Secret, "stories260K:never-loaded");
        await ErrorAssert.IsAsync(denied, 404, "model_not_found", "model");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var unload = await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminB.Secret, """{"lora_name":"acme-style"}""");
        await ErrorAssert.IsAsync(unload, 404, "model_not_found", "lora_name");
        var steal = await s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", adminB.Secret, JsonSerializer.Serialize(new { lora_name = "acme-style", lora_path = peft }));
        Assert.Equal(HttpStatusCode.BadRequest, steal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(userA.Secret, "stories260K:acme-style")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", op.Secret, JsonSerializer.Serialize(new { lora_name = "shared", lora_path = peft }))).StatusCode);
        Assert.Contains("shared", await Models(s, userA.Secret));
        Assert.Contains("shared", await Models(s, userB.Secret));
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(userB.Secret, "stories260K:shared")).StatusCode);
    }

    [Fact]
    public async Task Unloading_by_a_models_id_keeps_the_tenant_checks()
    {
        await using var s = await AuthServer.StartAsync(o => o with { BackendFactory = null, ModelPath = RepoPaths.StoriesModel, Threads = 2, AdapterDirectory = _dir });
        await s.Server.App.State.Model.Loading;
        CyLlm.Models.ModelConfig cfg;
        using (var loaded = CyLlm.Models.ModelLoader.Load(RepoPaths.StoriesModel))
        {
            cfg = loaded.Config;
        }

        string peft = PeftWriter.Write(Path.Combine(_dir, "peft"), cfg.Layers, cfg.Dim);
        var adminA = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var adminB = await s.IssueAsync("globex", [AuthScopes.Admin, AuthScopes.Inference]);
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);

        // acme's fine-tuned model, registered as the fine-tuning service does (owner first, then the adapter).
        var state = s.Server.App.State;
        string tuned = "ft:stories260K:acme:ftjob-tenancy";
        state.SetAdapterOwner(tuned, "acme");
        state.RequireBackend().LoadAdapter(tuned, peft);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", op.Secret, JsonSerializer.Serialize(new { lora_name = "shared", lora_path = peft }))).StatusCode);

        // Another tenant: the fine-tuned model is as unknown as a missing one; the operator's shared adapter, named by
        // its base:adapter id, may not be taken away from the other tenants.
        var other = await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminB.Secret, JsonSerializer.Serialize(new { lora_name = tuned }));
        await ErrorAssert.IsAsync(other, 404, "model_not_found", "lora_name");
        var shared = await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminB.Secret, """{"lora_name":"stories260K:shared"}""");
        await ErrorAssert.IsAsync(shared, 403, "insufficient_scope", "lora_name");
        Assert.Contains(tuned, await Models(s, adminA.Secret));

        // The base-model route, given the URL-encoded id, says which route unloads an adapter (no 500, nothing unloaded).
        var asModel = await s.SendAsync(HttpMethod.Delete, $"/v1/admin/models/{Uri.EscapeDataString(tuned)}", op.Secret);
        var error = await ErrorAssert.IsAsync(asModel, 404, "model_not_found", "id");
        Assert.Contains("/v1/unload_lora_adapter", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(tuned, await Models(s, adminA.Secret));

        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminA.Secret, JsonSerializer.Serialize(new { lora_name = tuned }))).StatusCode);
        Assert.DoesNotContain(tuned, await Models(s, adminA.Secret));
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", op.Secret, """{"lora_name":"stories260K:shared"}""")).StatusCode);
    }
}
