using CyLlm.Jobs.Files;
using CyLlm.Jobs.Health;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CyLlm.Jobs.Tests;

public sealed class HealthCheckerTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private string Db => dir.File("jobs.db");

    private Func<CancellationToken, Task<IJobStore>> Open(SqliteJobStoreOptions? options = null) =>
        async ct => await SqliteJobStore.OpenAsync(options ?? new SqliteJobStoreOptions(Db) { SchemaMode = SchemaMode.None }, ct);

    private async Task<(string Path, string Sha)> ModelAsync(string name = "model.gguf")
    {
        var r = await AtomicFile.WriteAsync(dir.File(name), new byte[200_000]);
        return (r.Path, r.Sha256);
    }

    [Fact]
    public async Task A_current_database_passes_every_check_in_under_100_ms()
    {
        await (await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db))).DisposeAsync();
        var (model, sha) = await ModelAsync();
        var cache = FileHashCache.Load(dir.File("hashes.json"));
        var checker = new HealthChecker(new HealthCheckOptions
        {
            MinFreeDiskBytes = 1 << 20,
            ModelFiles = [new ModelFileExpectation(model, sha)],
            HashCache = FileHashCacheSource.From(cache),
        });
        var first = await checker.RunAsync(Open());
        Assert.True(first.Healthy, first.Summary());
        Assert.Equal(7, first.Passed);
        Assert.Equal(["database_opens", "wal_mode", "busy_timeout", "schema_version", "required_tables", "free_disk", "model_files"], first.Checks.Select(c => c.Name));
        Assert.Equal(1, cache.Computed);

        var best = TimeSpan.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var r = await checker.RunAsync(Open());
            Assert.True(r.Healthy, r.Summary());
            best = r.Elapsed < best ? r.Elapsed : best;
        }

        Assert.True(best < TimeSpan.FromMilliseconds(100), $"health check took {best.TotalMilliseconds:F1} ms");
        Assert.Equal(1, cache.Computed);
        Assert.Equal(3, cache.Hits);
        Assert.Contains("7 passed, 0 failed", first.Summary());

        // The persisted cache spares the hash in a fresh process too.
        var reloaded = FileHashCache.Load(dir.File("hashes.json"));
        Assert.Equal(sha, reloaded.GetSha256(model));
        Assert.Equal(0, reloaded.Computed);
    }

    [Fact]
    public async Task An_old_schema_names_the_migration_command_and_fail_fast_skips_the_rest()
    {
        var report = await new HealthChecker(new HealthCheckOptions { MinFreeDiskBytes = 1 }).RunAsync(Open());
        Assert.False(report.Healthy);
        var schema = report.Checks.Single(c => c.Name == "schema_version");
        Assert.Equal(HealthOutcome.Failed, schema.Outcome);
        Assert.Contains("schema version 0 but this build needs", schema.Message);
        Assert.Contains("`cyllm migrate`", schema.Message);
        Assert.All(report.Checks.SkipWhile(c => c.Name != "required_tables"), c => Assert.Equal(HealthOutcome.Skipped, c.Outcome));

        var all = await new HealthChecker(new HealthCheckOptions { FailFast = false, MinFreeDiskBytes = 1 }).RunAsync(Open());
        Assert.Equal(2, all.Failed);
        Assert.Contains("missing tables: schema_migrations, tenants", all.Checks.Single(c => c.Name == "required_tables").Message);
        Assert.Equal(0, all.Skipped);
    }

    [Fact]
    public async Task Wal_off_a_short_busy_timeout_low_disk_and_bad_models_each_fail_their_check()
    {
        // A database in rollback-journal mode, opened read-only so nothing switches it to WAL.
        await using (var c = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = DELETE; CREATE TABLE t (x INTEGER)";
            await cmd.ExecuteNonQueryAsync();
        }

        var noFailFast = new HealthCheckOptions { FailFast = false, MinFreeDiskBytes = long.MaxValue / 2 };
        var r = await new HealthChecker(noFailFast).RunAsync(Open(new SqliteJobStoreOptions(Db) { ReadOnly = true, SchemaMode = SchemaMode.None, BusyTimeoutMs = 100 }));
        Assert.Contains("journal_mode is delete", Check(r, "wal_mode"));
        Assert.Contains("busy_timeout is 100 ms (minimum 5000)", Check(r, "busy_timeout"));
        Assert.Contains("MiB free (minimum", Check(r, "free_disk"));

        var (model, sha) = await ModelAsync();
        var models = new HealthCheckOptions
        {
            FailFast = false,
            MinFreeDiskBytes = 1,
            ModelFiles = [new ModelFileExpectation(model, new string('0', 64)), new ModelFileExpectation(dir.File("gone.gguf"), sha)],
        };
        var m = Check(await new HealthChecker(models).RunAsync(Open()), "model_files");
        Assert.Contains("model.gguf has sha256", m);
        Assert.Contains("gone.gguf does not exist", m);
    }

    [Fact]
    public async Task A_database_that_cannot_open_fails_the_first_check_and_skips_the_others()
    {
        var r = await new HealthChecker().RunAsync(Open(new SqliteJobStoreOptions(dir.File("missing-folder/jobs.db"))));
        Assert.Equal(HealthOutcome.Failed, r.Checks[0].Outcome);
        Assert.Contains("does not exist", r.Checks[0].Message);
        Assert.Equal(6, r.Skipped);
        Assert.False(r.Healthy);
    }

    private static string Check(HealthReport r, string name)
    {
        var c = r.Checks.Single(x => x.Name == name);
        Assert.Equal(HealthOutcome.Failed, c.Outcome);
        return c.Message;
    }
}
