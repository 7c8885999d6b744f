using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>The conformance suite on SQLite: a fresh database file per test.</summary>
public sealed class SqliteJobStoreConformanceTests : JobStoreConformanceTests
{
    private readonly TempDir dir = new();

    private string DbPath => dir.File("jobs.db");

    internal override async Task<IJobStore> OpenStoreAsync(TimeProvider time, TaskConsistencyChecker checker) =>
        await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DbPath) { Time = time, Checker = checker });

    internal override async Task<IJobStore> OpenSameDatabaseAsync() =>
        await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DbPath) { Time = Time });

    internal override async Task<IJobStore> OpenOtherDatabaseAsync() =>
        await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(dir.File("other.db")) { Time = Time });

    protected override async Task ExecuteRawAsync(string sql)
    {
        await using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task CleanupAsync()
    {
        // Every scenario must leave a sound file behind.
        await using (var check = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DbPath) { SchemaMode = SchemaMode.None }))
        {
            Assert.Equal("ok", await check.IntegrityCheckAsync());
        }

        dir.Dispose();
    }
}
