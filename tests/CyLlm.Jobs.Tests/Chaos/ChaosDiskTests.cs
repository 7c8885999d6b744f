using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 6: a read-only or full disk gives a clear error and no corruption (integrity_check after each).</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosDiskTests
{
    [Fact]
    public async Task A_read_only_database_fails_writes_clearly_and_stays_intact()
    {
        using var dir = new TempDir();
        string db = dir.File("jobs.db");
        await Evidence.GuardAsync("chaos-disk-read-only", () => null, () => null, () => ReadOnlyScenarioAsync(dir, db));
    }

    [Fact]
    public async Task A_full_database_rolls_the_write_back_with_a_clear_error_and_stays_intact()
    {
        using var dir = new TempDir();
        await Evidence.GuardAsync("chaos-disk-full", () => null, () => null, () => FullScenarioAsync(dir.File("jobs.db")));
    }

    private static async Task ReadOnlyScenarioAsync(TempDir dir, string db)
    {
        TaskId id;
        await using (var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db)))
        {
            id = (await store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", store.Time.GetUtcNow()))).Id;
        }

        // A read-only connection (inspection, or a read-only mount).
        await using (var ro = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db) { ReadOnly = true, SchemaMode = SchemaMode.Verify }))
        {
            Assert.NotNull(await ro.GetTaskAsync(id));
            var e = await Assert.ThrowsAsync<StoreReadOnlyException>(() => ro.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", ro.Time.GetUtcNow())));
            Assert.Contains(db, e.Message);
            Assert.Contains("read-only", e.Message);
        }

        // The file and its folder made immutable by the OS: opening for writing fails with a clear store error.
        using (new ReadOnlyPath(db))
        using (new ReadOnlyPath(dir.Path))
        {
            var e = await Assert.ThrowsAsync<StoreReadOnlyException>(async () =>
            {
                await using var s = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
                await s.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", s.Time.GetUtcNow()));
            });
            Assert.Contains(db, e.Message);
            Assert.Contains("nothing was written", e.Message);
        }

        await using var after = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        Assert.NotNull(await after.GetTaskAsync(id));
        await ChaosStoreHelpers.AssertSoundAsync(after);
    }

    private static async Task FullScenarioAsync(string db)
    {
        await using (var init = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db)))
        {
            await init.CheckpointAsync();
        }

        // A quota of the current size plus a few pages simulates a disk that fills up.
        long pages;
        await using (var probe = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db)))
        {
            pages = long.Parse((await probe.GetDiagnosticsAsync()).Settings["page_count"], System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db) { MaxPageCount = pages + 8 });
        var created = new List<TaskId>();
        StorageFullException? full = null;
        for (int i = 0; i < 200 && full is null; i++)
        {
            var t = TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", store.Time.GetUtcNow(), new string('x', 2000));
            try
            {
                await store.CreateTaskAsync(t);
                created.Add(t.Id);
            }
            catch (StorageFullException e)
            {
                full = e;
                Assert.Null(await store.GetTaskAsync(t.Id));
            }
        }

        Assert.NotNull(full);
        Assert.Contains("is full", full!.Message);
        Assert.NotEmpty(created);
        Assert.Equal(created.Count, (await store.GetDiagnosticsAsync()).RowCounts["tasks"]);
        await ChaosStoreHelpers.AssertSoundAsync(store);

        // With space again, writing resumes.
        await using var roomy = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        await roomy.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Export), "t", roomy.Time.GetUtcNow()));
        await ChaosStoreHelpers.AssertSoundAsync(roomy);
    }
}
