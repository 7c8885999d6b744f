using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>The conformance suite on PostgreSQL: a fresh schema per test on the server from .ci/services.sh (or CYLLM_TEST_PG).</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlJobStoreConformanceTests : JobStoreConformanceTests
{
    private readonly string schema = PostgresTestDatabase.NewSchemaName();
    private readonly string otherSchema = PostgresTestDatabase.NewSchemaName();

    internal override async Task<IJobStore> OpenStoreAsync(TimeProvider time, TaskConsistencyChecker checker) =>
        await PostgresTestDatabase.OpenAsync(schema, time, checker);

    internal override async Task<IJobStore> OpenSameDatabaseAsync() => await PostgresTestDatabase.OpenAsync(schema, Time);

    internal override async Task<IJobStore> OpenOtherDatabaseAsync() => await PostgresTestDatabase.OpenAsync(otherSchema, Time);

    protected override Task ExecuteRawAsync(string sql) => PostgresTestDatabase.ExecuteAsync(schema, sql);

    protected override async Task CleanupAsync()
    {
        await PostgresTestDatabase.DropSchemaAsync(schema);
        await PostgresTestDatabase.DropSchemaAsync(otherSchema);
    }
}
