using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Audit rows, tenants, API keys and files, each isolated per tenant.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Audit_rows_are_listed_newest_first_per_tenant() => Scenario(async () =>
    {
        var t0 = Time.GetUtcNow();
        long id1 = await Store.AppendAuditAsync(new AuditRecord(0, t0, "trace-1", "sk-cy-ab", TenantA, "/v1/chat/completions", "POST", 200, 12.5, 30, 7));
        Time.Advance(TimeSpan.FromSeconds(1));
        long id2 = await Store.AppendAuditAsync(new AuditRecord(0, Time.GetUtcNow(), null, null, TenantA, "/v1/models", "GET", 401, 0.25, 0, 0));
        await Store.AppendAuditAsync(new AuditRecord(0, Time.GetUtcNow(), "trace-b", "sk-cy-zz", TenantB, "/v1/batches", "POST", 200, 3, 0, 0));
        Assert.True(id2 > id1);
        var a = await Store.ListAuditAsync(TenantA);
        Assert.Equal([id2, id1], a.Select(r => r.Id));
        Assert.Equal(new AuditRecord(id1, t0, "trace-1", "sk-cy-ab", TenantA, "/v1/chat/completions", "POST", 200, 12.5, 30, 7), a[1]);
        Assert.Equal([id2], (await Store.ListAuditAsync(TenantA, since: Time.GetUtcNow())).Select(r => r.Id));
        Assert.All(await Store.ListAuditAsync(TenantB), r => Assert.Equal(TenantB, r.TenantId));
        Assert.Single(await Store.ListAuditAsync(TenantB));
    });

    [Fact]
    public Task Tenants_and_api_keys_store_revoke_and_rotate() => Scenario(async () =>
    {
        var now = Time.GetUtcNow();
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme", now, false));
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme Corp", now, true));
        Assert.Equal(new TenantRecord(TenantA, "Acme Corp", now, true), await Store.GetTenantAsync(TenantA));
        Assert.Null(await Store.GetTenantAsync("nobody"));

        var key = new ApiKeyRecord("key-1", TenantA, Sha("sk-cy-secret-1"), "sk-cy-se", ["inference", "batches"], ["llama-3-8b"], now, now.AddDays(30), null, null, null);
        await Store.CreateApiKeyAsync(key);
        var found = await Store.FindApiKeyByHashAsync(Sha("sk-cy-secret-1"));
        Assert.NotNull(found);
        Assert.Equal(["inference", "batches"], found!.Scopes);
        Assert.Equal(["llama-3-8b"], found.AllowedModels);
        Assert.Equal(key.ExpiresAt, found.ExpiresAt);
        Assert.True(found.IsUsableAt(now));
        Assert.False(found.IsUsableAt(now.AddDays(31)));
        Assert.Null(await Store.FindApiKeyByHashAsync(Sha("unknown")));

        await Assert.ThrowsAsync<JobStoreException>(() => Store.CreateApiKeyAsync(key with { Id = "key-dup" }));
        await Assert.ThrowsAsync<JobStoreException>(() => Store.CreateApiKeyAsync(key with { Id = "key-x", TenantId = "no-such-tenant", KeyHash = Sha("x") }));

        var replacement = key with { Id = "key-2", KeyHash = Sha("sk-cy-secret-2"), Prefix = "sk-cy-s2", CreatedAt = now };
        await Store.RotateApiKeyAsync(TenantA, "key-1", replacement, now.AddHours(1));
        var old = await Store.FindApiKeyByHashAsync(Sha("sk-cy-secret-1"));
        Assert.Equal("key-2", old!.ReplacedBy);
        Assert.True(old.IsUsableAt(now.AddMinutes(59)));
        Assert.False(old.IsUsableAt(now.AddHours(1)));
        await Assert.ThrowsAsync<JobStoreException>(() => Store.RotateApiKeyAsync(TenantA, "key-1", replacement with { Id = "key-3", KeyHash = Sha("3") }, now));
        await Assert.ThrowsAsync<JobStoreException>(() => Store.RotateApiKeyAsync(TenantB, "key-2", replacement with { Id = "key-4", KeyHash = Sha("4"), TenantId = TenantB }, now));

        Assert.False(await Store.RevokeApiKeyAsync(TenantB, "key-2", now));
        Assert.True(await Store.RevokeApiKeyAsync(TenantA, "key-2", now));
        Assert.False((await Store.FindApiKeyByHashAsync(Sha("sk-cy-secret-2")))!.IsUsableAt(now));
        Assert.Equal(["key-1", "key-2"], (await Store.ListApiKeysAsync(TenantA)).Select(k => k.Id));
        Assert.Empty(await Store.ListApiKeysAsync(TenantB));
    });

    [Fact]
    public Task Files_are_stored_listed_and_deleted_per_tenant() => Scenario(async () =>
    {
        var f1 = new FileRecord("file-1", TenantA, "batch", "in.jsonl", 123, Sha("in"), "/data/files/file-1", Time.GetUtcNow());
        Time.Advance(TimeSpan.FromSeconds(1));
        var f2 = new FileRecord("file-2", TenantA, "fine-tune", "train.jsonl", 456, Sha("train"), "/data/files/file-2", Time.GetUtcNow());
        var fb = new FileRecord("file-b", TenantB, "batch", "b.jsonl", 1, Sha("b"), "/data/files/file-b", Time.GetUtcNow());
        await Store.AddFileAsync(f1);
        await Store.AddFileAsync(f2);
        await Store.AddFileAsync(fb);
        await Store.AddFileAsync(f1);
        await Assert.ThrowsAsync<JobStoreException>(() => Store.AddFileAsync(f1 with { Bytes = 124 }));
        Assert.Equal(f1, await Store.GetFileAsync(TenantA, "file-1"));
        Assert.Null(await Store.GetFileAsync(TenantB, "file-1"));
        Assert.Equal(["file-2", "file-1"], (await Store.ListFilesAsync(TenantA)).Select(f => f.Id));
        Assert.Equal(["file-1"], (await Store.ListFilesAsync(TenantA, "batch")).Select(f => f.Id));
        Assert.Equal(["file-b"], (await Store.ListFilesAsync(TenantB)).Select(f => f.Id));
        Assert.False(await Store.DeleteFileAsync(TenantB, "file-1"));
        Assert.True(await Store.DeleteFileAsync(TenantA, "file-1"));
        Assert.Null(await Store.GetFileAsync(TenantA, "file-1"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AddFileAsync(f2 with { Id = "file-3", Sha256 = "ABC" }));
    });
}
