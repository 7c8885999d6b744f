using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CyLlm.Jobs.Tests;

/// <summary>SQLite specifics beyond the conformance suite: pragmas, locking, schema guards, read-only and full databases.</summary>
public sealed class SqliteJobStoreTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private string Db => dir.File("jobs.db");

    [Fact]
    public async Task Every_connection_runs_wal_busy_timeout_foreign_keys_and_full_sync()
    {
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db));
        var s = (await store.GetDiagnosticsAsync()).Settings;
        Assert.Equal("wal", s["journal_mode"]);
        Assert.Equal("5000", s["busy_timeout"]);
        Assert.Equal("1", s["foreign_keys"]);
        Assert.Equal("2", s["synchronous"]);
        Assert.Equal("ok", s["quick_check"]);
        var info = await store.GetHealthInfoAsync();
        Assert.Equal("wal", info.JournalMode);
        Assert.Equal(5000, info.BusyTimeoutMs);
        Assert.Equal(dir.Path, info.DataDirectory);
    }

    [Fact]
    public async Task A_writer_waits_for_another_process_holding_the_write_lock_instead_of_failing()
    {
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db));
        await using var holder = new SqliteConnection($"Data Source={Db};Pooling=False");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        // Microsoft.Data.Sqlite runs "async" calls synchronously, so the waiting writer needs its own thread.
        var write = Task.Run(() => store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", store.Time.GetUtcNow())));
        await Task.Delay(300);
        Assert.False(write.IsCompleted, "the write should be waiting on the held lock");
        await using (var commit = holder.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }

        var created = await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(await store.GetTaskAsync(created.Id));
    }

    [Fact]
    public async Task Verify_mode_and_a_newer_schema_refuse_with_the_fix_in_the_message()
    {
        var old = await Assert.ThrowsAsync<SchemaOutOfDateException>(() => SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db) { SchemaMode = SchemaMode.Verify }));
        Assert.Contains("run `cyllm migrate`", old.Message);
        Assert.Equal(0, old.ActualVersion);

        await using (var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db)))
        {
            await using var c = new SqliteConnection($"Data Source={Db};Pooling=False");
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)";
            await cmd.ExecuteNonQueryAsync();
        }

        var newer = await Assert.ThrowsAsync<SchemaOutOfDateException>(() => SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db)));
        Assert.Contains("newer than this build", newer.Message);
    }

    [Fact]
    public async Task A_missing_folder_or_a_file_that_is_not_a_database_gives_a_clear_error()
    {
        var missing = await Assert.ThrowsAsync<StoreUnavailableException>(() => SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(dir.File("nope/jobs.db"))));
        Assert.Contains("does not exist", missing.Message);
        File.WriteAllText(Db, new string('x', 5000));
        var garbage = await Assert.ThrowsAsync<JobStoreException>(() => SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db)));
        Assert.Contains("not a database", garbage.Message);
    }

    [Fact]
    public async Task Bad_arguments_are_rejected_before_touching_the_database()
    {
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Db));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetTaskForTenantAsync(" ", TaskId.New(TaskKind.Batch)));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetTaskAsync(default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.TryAcquireLeaseAsync(TaskId.New(TaskKind.Batch), "", TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.PutCachedResponseAsync("k", new byte[1], DateTimeOffset.MaxValue, 0));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetCachedResponseAsync(new string('k', 129)));
    }
}
