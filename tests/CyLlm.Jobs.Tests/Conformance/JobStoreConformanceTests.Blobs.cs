using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>The store as a blob store, beyond the blob suite: another node sees a blob, migration 3, orphaned chunks.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task A_blob_written_through_one_node_reads_back_through_another() => Scenario(async () =>
    {
        byte[] data = new byte[(2 << 20) + 17];
        new Random(11).NextBytes(data);
        var info = await ((IBlobStore)Store).WriteBlobAsync("file-shared", new MemoryStream(data));
        await using var other = await OpenSameDatabaseAsync();
        var blobs = (IBlobStore)other;
        Assert.Equal(info, await blobs.GetBlobInfoAsync("file-shared"));
        await using (var s = await blobs.OpenBlobAsync("file-shared"))
        {
            var m = new MemoryStream();
            await s.CopyToAsync(m);
            Assert.Equal(data, m.ToArray());
        }

        Assert.True(await blobs.DeleteBlobAsync("file-shared"));
        Assert.Null(await ((IBlobStore)Store).GetBlobInfoAsync("file-shared"));
    });

    [Fact]
    public Task Migrate_adds_the_blob_tables_to_a_version_2_database() => Scenario(async () =>
    {
        await ExecuteRawAsync("DROP TABLE blob_chunks");
        await ExecuteRawAsync("DROP TABLE blobs");
        await ExecuteRawAsync("DELETE FROM schema_migrations WHERE version = 3");
        Assert.Equal(2, await Store.GetSchemaVersionAsync());
        Assert.Equal(["blob_chunks", "blobs"], (await Store.GetHealthInfoAsync()).MissingTables.Order());
        Assert.Equal(1, await Store.MigrateAsync());
        Assert.Equal(3, await Store.GetSchemaVersionAsync());
        Assert.Empty((await Store.GetHealthInfoAsync()).MissingTables);
        await ((IBlobStore)Store).WriteBlobAsync("file-after", new MemoryStream([1, 2, 3]));
        Assert.Equal(3, (await ((IBlobStore)Store).GetBlobInfoAsync("file-after"))!.Length);
    });

    [Fact]
    public Task Purge_removes_chunks_of_writes_that_never_completed_after_an_hour() => Scenario(async () =>
    {
        long ms = Time.GetUtcNow().ToUnixTimeMilliseconds();
        // A writer killed after two chunks: chunk rows of a generation no blob row names.
        await ExecuteRawAsync($"INSERT INTO blob_chunks (blob_id, generation, idx, data, created_at) VALUES ('file-dead', 'g1', 0, {Hex("AB")}, {ms}), ('file-dead', 'g1', 1, {Hex("CD")}, {ms})");
        await ((IBlobStore)Store).WriteBlobAsync("file-live", new MemoryStream([9, 9]));
        await Store.PurgeExpiredAsync();
        Assert.Equal(3, RowCount(await Store.GetDiagnosticsAsync()));
        Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await Store.PurgeExpiredAsync();
        Assert.Equal(1, RowCount(await Store.GetDiagnosticsAsync()));
        Assert.NotNull(await ((IBlobStore)Store).GetBlobInfoAsync("file-live"));
    });

    private string Hex(string hex) => Store.Provider == "postgresql" ? $"'\\x{hex}'::bytea" : $"X'{hex}'";

    private static long RowCount(StoreDiagnostics d) => d.RowCounts["blob_chunks"];
}
