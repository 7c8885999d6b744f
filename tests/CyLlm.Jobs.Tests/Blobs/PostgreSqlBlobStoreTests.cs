using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.PostgreSql;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>
/// The blob conformance suite on the PostgreSQL store (chunks in <c>blob_chunks</c>, a fresh schema per test); like the
/// store conformance suite it fails, never skips, without a server (.ci/services.sh or CYLLM_TEST_PG).
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlBlobStoreTests : BlobStoreConformanceTests
{
    private readonly string schema = PostgresTestDatabase.NewSchemaName();
    private PostgreSqlJobStore? store;

    protected override async Task<IBlobStore> OpenAsync()
    {
        // Opened (and migrated) once through the shared helper, then again with small chunks on the same schema.
        await (await PostgresTestDatabase.OpenAsync(schema, TimeProvider.System)).DisposeAsync();
        return store = await PostgreSqlJobStore.OpenAsync(new PostgreSqlJobStoreOptions(PostgresTestDatabase.ConnectionString) { SchemaName = schema, BlobChunkBytes = ChunkBytes });
    }

    protected override Task CorruptAsync(string blobId) =>
        PostgresTestDatabase.ExecuteAsync(schema, $"UPDATE blob_chunks SET data = decode(repeat('00', length(data)), 'hex') WHERE blob_id = '{blobId}' AND idx = 1");

    protected override async Task CleanupAsync()
    {
        if (store is not null)
        {
            await store.DisposeAsync();
        }

        await PostgresTestDatabase.DropSchemaAsync(schema);
    }
}
