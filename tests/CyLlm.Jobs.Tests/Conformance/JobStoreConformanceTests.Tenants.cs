using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Tenant listing, key counting and batched audit rows.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Tenants_are_listed_by_id_and_keys_counted_across_tenants() => Scenario(async () =>
    {
        var now = Time.GetUtcNow();
        Assert.Empty(await Store.ListTenantsAsync());
        Assert.Equal(0, await Store.CountApiKeysAsync());
        await Store.UpsertTenantAsync(new TenantRecord(TenantB, "Beta", now, true));
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme", now, false));
        Assert.Equal([new TenantRecord(TenantA, "Acme", now, false), new TenantRecord(TenantB, "Beta", now, true)], await Store.ListTenantsAsync());

        await Store.CreateApiKeyAsync(new ApiKeyRecord("k-a", TenantA, Sha("a"), "sk-cy-a", ["inference"], [], now, null, null, null, null));
        await Store.CreateApiKeyAsync(new ApiKeyRecord("k-b", TenantB, Sha("b"), "sk-cy-b", ["admin"], [], now, null, now, null, null));
        Assert.Equal(2, await Store.CountApiKeysAsync());
    });

    [Fact]
    public Task Audit_batches_append_every_row_in_one_call() => Scenario(async () =>
    {
        var t0 = Time.GetUtcNow();
        await Store.AppendAuditBatchAsync([]);
        await Store.AppendAuditBatchAsync(
        [
            new AuditRecord(0, t0, "t1", "sk-cy-a", TenantA, "/v1/chat/completions", "POST", 200, 5, 10, 3),
            new AuditRecord(0, t0.AddSeconds(1), "t2", "sk-cy-b", TenantB, "/v1/models", "GET", 200, 1, 0, 0),
            new AuditRecord(0, t0.AddSeconds(2), null, null, TenantA, "/v1/models", "GET", 401, 0.5, 0, 0),
        ]);
        var a = await Store.ListAuditAsync(TenantA);
        Assert.Equal([401, 200], a.Select(r => r.Status));
        Assert.Equal(new AuditRecord(a[1].Id, t0, "t1", "sk-cy-a", TenantA, "/v1/chat/completions", "POST", 200, 5, 10, 3), a[1]);
        Assert.Single(await Store.ListAuditAsync(TenantB));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAuditBatchAsync([new AuditRecord(0, t0, null, null, TenantA, "", "GET", 200, 0, 0, 0)]));
    });
}
