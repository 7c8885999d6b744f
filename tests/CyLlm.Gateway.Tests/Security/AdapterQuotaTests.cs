using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>
/// Shared adapters belong to the operator: a tenant admin neither loads over nor unloads them. The engine evicts the
/// least recently used adapter to make room, so a tenant loads only below its quota (Gateway:MaxAdaptersPerTenant)
/// and only into a free slot: over either it gets 409 and nobody else's adapter is evicted.
/// </summary>
public sealed class AdapterQuotaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-quota-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(AuthServer Server, string Peft)> StartAsync(int quota)
    {
        var s = await AuthServer.StartAsync(o => o with { BackendFactory = null, ModelPath = RepoPaths.StoriesModel, Threads = 1, AdapterDirectory = _dir, MaxAdaptersPerTenant = quota });
        await s.Server.App.State.Model.Loading;
        using var loaded = CyLlm.Models.ModelLoader.Load(RepoPaths.StoriesModel);
        return (s, PeftWriter.Write(Path.Combine(_dir, "peft"), loaded.Config.Layers, loaded.Config.Dim));
    }

    private static Task<HttpResponseMessage> Load(AuthServer s, string key, string name, string path) =>
        s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", key, JsonSerializer.Serialize(new { lora_name = name, lora_path = path }));

    private static IReadOnlyList<string> Loaded(AuthServer s) => s.Server.App.State.Model.Backend!.Adapters;

    [Fact]
    public async Task A_tenant_admin_can_neither_take_over_nor_unload_a_shared_adapter()
    {
        var (s, peft) = await StartAsync(quota: 2);
        await using var _ = s;
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);
        var adminA = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var userB = await s.IssueAsync("globex");
        Assert.Equal(HttpStatusCode.OK, (await Load(s, op.Secret, "shared", peft)).StatusCode);

        await ErrorAssert.IsAsync(await Load(s, adminA.Secret, "shared", peft), 400, "invalid_request_error", "lora_name");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminA.Secret, """{"lora_name":"shared"}"""), 403, "insufficient_scope", "lora_name");
        Assert.Null(s.Server.App.State.AdapterOwner("shared"));
        Assert.Contains("shared", Loaded(s));
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(userB.Secret, "stories260K:shared")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", op.Secret, """{"lora_name":"shared"}""")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_over_its_quota_gets_409_and_evicts_nothing()
    {
        var (s, peft) = await StartAsync(quota: 1);
        await using var _ = s;
        var adminA = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var adminB = await s.IssueAsync("globex", [AuthScopes.Admin, AuthScopes.Inference]);
        Assert.Equal(HttpStatusCode.OK, (await Load(s, adminA.Secret, "a1", peft)).StatusCode);
        var e = await ErrorAssert.IsAsync(await Load(s, adminA.Secret, "a2", peft), 409, "adapter_quota_exceeded");
        Assert.Contains("MaxAdaptersPerTenant", e.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Load(s, adminB.Secret, "b1", peft)).StatusCode);
        Assert.Equal(["a1", "b1"], Loaded(s).Order(StringComparer.Ordinal));
        // Unloading its own frees the tenant's quota.
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Post, "/v1/unload_lora_adapter", adminA.Secret, """{"lora_name":"a1"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Load(s, adminA.Secret, "a2", peft)).StatusCode);
    }

    [Fact]
    public async Task A_tenant_loading_into_a_full_engine_gets_409_instead_of_evicting_another_tenants_adapter()
    {
        var (s, peft) = await StartAsync(quota: 2);
        await using var _ = s;
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin, AuthScopes.Inference]);
        var adminA = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var adminB = await s.IssueAsync("globex", [AuthScopes.Admin, AuthScopes.Inference]);
        Assert.Equal(HttpStatusCode.OK, (await Load(s, adminA.Secret, "a1", peft)).StatusCode);
        for (int i = 1; i < GatewayState.AdapterSlots; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Load(s, op.Secret, $"op{i}", peft)).StatusCode);
        }

        Assert.Equal(GatewayState.AdapterSlots, Loaded(s).Count);
        var e = await ErrorAssert.IsAsync(await Load(s, adminB.Secret, "b1", peft), 409, "adapter_quota_exceeded");
        Assert.Contains("slots", e.GetProperty("message").GetString());
        Assert.Contains("a1", Loaded(s));
        Assert.DoesNotContain("b1", Loaded(s));
    }
}
