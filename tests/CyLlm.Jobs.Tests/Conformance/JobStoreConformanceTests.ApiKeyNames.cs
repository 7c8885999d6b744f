using CyLlm.Jobs.Health;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>API key display names (schema version 2): round trip, absence, rotation, and the upgrade of a version-1 database.</summary>
public abstract partial class JobStoreConformanceTests
{
    private ApiKeyRecord Key(string id, string? name) =>
        new(id, TenantA, Sha(id), "sk-cy-" + id, ["inference"], [], Time.GetUtcNow(), null, null, null, null, name);

    [Fact]
    public Task Api_key_names_round_trip_and_are_null_when_absent() => Scenario(async () =>
    {
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme", Time.GetUtcNow(), false));
        await Store.CreateApiKeyAsync(Key("named", "CI pipeline — prod ✓"));
        await Store.CreateApiKeyAsync(Key("plain", null));
        Assert.Equal("CI pipeline — prod ✓", (await Store.FindApiKeyByHashAsync(Sha("named")))!.Name);
        Assert.Null((await Store.FindApiKeyByHashAsync(Sha("plain")))!.Name);
        var listed = await Store.ListApiKeysAsync(TenantA);
        Assert.Equal(["CI pipeline — prod ✓", null], listed.OrderBy(k => k.Id).Select(k => k.Name));
    });

    [Fact]
    public Task Rotation_copies_the_name_to_the_replacement_unless_it_has_its_own() => Scenario(async () =>
    {
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme", Time.GetUtcNow(), false));
        await Store.CreateApiKeyAsync(Key("old", "billing service"));
        await Store.RotateApiKeyAsync(TenantA, "old", Key("new", null), Time.GetUtcNow().AddHours(1));
        Assert.Equal("billing service", (await Store.FindApiKeyByHashAsync(Sha("new")))!.Name);
        Assert.Equal("billing service", (await Store.FindApiKeyByHashAsync(Sha("old")))!.Name);

        await Store.RotateApiKeyAsync(TenantA, "new", Key("newer", "billing v2"), Time.GetUtcNow().AddHours(1));
        Assert.Equal("billing v2", (await Store.FindApiKeyByHashAsync(Sha("newer")))!.Name);

        await Store.CreateApiKeyAsync(Key("anon", null));
        await Store.RotateApiKeyAsync(TenantA, "anon", Key("anon2", null), Time.GetUtcNow().AddHours(1));
        Assert.Null((await Store.FindApiKeyByHashAsync(Sha("anon2")))!.Name);
    });

    [Fact]
    public Task A_version_1_database_is_upgraded_on_open_and_keeps_its_keys_with_null_names() => Scenario(async () =>
    {
        Assert.Equal(3, JobStoreSchema.CurrentVersion);
        long ms = Time.GetUtcNow().ToUnixTimeMilliseconds();

        // Turn the fresh database back into exactly what version 1 had: no name column, no blob tables, no later rows, one key.
        await DowngradeToVersion1Async();
        await ExecuteRawAsync($"INSERT INTO tenants (id, name, created_at, disabled) VALUES ('{TenantA}', 'Acme', {ms}, 0)");
        await ExecuteRawAsync("INSERT INTO api_keys (id, tenant_id, key_hash, prefix, scopes, allowed_models, created_at, expires_at, revoked_at, grace_until, replaced_by) "
            + $"VALUES ('legacy', '{TenantA}', '{Sha("legacy")}', 'sk-cy-le', '[\"admin\"]', '[]', {ms}, NULL, NULL, NULL, NULL)");
        Assert.Equal(1, await Store.GetSchemaVersionAsync());
        var info = await Store.GetHealthInfoAsync();
        Assert.Equal(1, info.SchemaVersion);
        Assert.Equal(3, info.ExpectedSchemaVersion);
        var health = await new HealthChecker(new HealthCheckOptions { MinFreeDiskBytes = 1 }).RunAsync(Store);
        Assert.False(health.Healthy, health.Summary());

        // Opening with the default SchemaMode (Migrate) upgrades it; a second migrate is a no-op.
        await using var upgraded = await OpenSameDatabaseAsync();
        Assert.Equal(3, await upgraded.GetSchemaVersionAsync());
        Assert.Equal(0, await upgraded.MigrateAsync());
        var legacy = await upgraded.FindApiKeyByHashAsync(Sha("legacy"));
        Assert.NotNull(legacy);
        Assert.Equal("legacy", legacy.Id);
        Assert.Equal(["admin"], legacy.Scopes);
        Assert.Null(legacy.Name);
        await upgraded.CreateApiKeyAsync(Key("fresh", "after upgrade"));
        Assert.Equal([null, "after upgrade"], (await upgraded.ListApiKeysAsync(TenantA)).OrderBy(k => k.Id == "fresh").Select(k => k.Name));
    });

    [Fact]
    public Task Migrate_upgrades_a_version_1_database_by_the_missing_migrations() => Scenario(async () =>
    {
        await DowngradeToVersion1Async();
        Assert.Equal(JobStoreSchema.CurrentVersion - 1, await Store.MigrateAsync());
        Assert.Equal(JobStoreSchema.CurrentVersion, await Store.GetSchemaVersionAsync());
        Assert.Equal(0, await Store.MigrateAsync());
        await Store.UpsertTenantAsync(new TenantRecord(TenantA, "Acme", Time.GetUtcNow(), false));
        await Store.CreateApiKeyAsync(Key("k", "named"));
        Assert.Equal("named", (await Store.FindApiKeyByHashAsync(Sha("k")))!.Name);
    });

    private async Task DowngradeToVersion1Async()
    {
        await ExecuteRawAsync("DROP TABLE blob_chunks");
        await ExecuteRawAsync("DROP TABLE blobs");
        await ExecuteRawAsync("ALTER TABLE api_keys DROP COLUMN name");
        await ExecuteRawAsync("DELETE FROM schema_migrations WHERE version >= 2");
    }
}
