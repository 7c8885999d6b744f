using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>The blob conformance suite on the SQLite store (chunks in <c>blob_chunks</c>).</summary>
public sealed class SqliteBlobStoreTests : BlobStoreConformanceTests
{
    private readonly TempDir dir = new();
    private SqliteJobStore? store;

    private string DbPath => dir.File("jobs.db");

    protected override async Task<IBlobStore> OpenAsync() =>
        store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DbPath) { BlobChunkBytes = ChunkBytes });

    protected override async Task CorruptAsync(string blobId)
    {
        await using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE blob_chunks SET data = zeroblob(length(data)) WHERE blob_id = $id AND idx = 1";
        cmd.Parameters.AddWithValue("$id", blobId);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    protected override async Task CleanupAsync()
    {
        if (store is not null)
        {
            await store.DisposeAsync();
        }

        dir.Dispose();
    }
}
