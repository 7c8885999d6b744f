using System.Diagnostics;
using System.Globalization;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 2: 10 processes each write 10 checkpoints concurrently into one SQLite database.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosCheckpointTests
{
    [Fact]
    public async Task Ten_processes_times_ten_checkpoints_give_exactly_one_hundred_rows()
    {
        using var dir = new TempDir();
        string db = dir.File("jobs.db");
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        var tasks = new List<TaskId>();
        await Evidence.GuardAsync("chaos-10x10-checkpoints", () => store, () => tasks.Count > 0 ? tasks[0] : null, async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                var t = await store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "tenant", store.Time.GetUtcNow()));
                t = await store.UpdateTaskAsync(TaskStateMachine.MoveTo(t, TaskStage.Queued, store.Time.GetUtcNow()), t.Version);
                await store.UpdateTaskAsync(TaskStateMachine.MoveTo(t, TaskStage.Running, store.Time.GetUtcNow()), t.Version);
                tasks.Add(t.Id);
            }

            var workers = tasks.Select(id => WorkerProcess.Start("checkpoints", db, id.Value, "10")).ToList();
            try
            {
                foreach (var w in workers)
                {
                    await w.WaitForLineAsync(l => l == "ready");
                }

                // All ten start writing at once.
                var sw = Stopwatch.StartNew();
                await Task.WhenAll(workers.Select(w => w.SendLineAsync("go")));
                foreach (var w in workers)
                {
                    int code = await w.WaitForExitAsync();
                    Assert.True(code == 0, $"worker {w.Id} exited {code}: {w.StdErr}");
                    Assert.DoesNotContain("locked", w.StdErr, StringComparison.OrdinalIgnoreCase);
                    Assert.Contains("ok", w.Lines);
                }

                sw.Stop();
                var counts = (await store.GetDiagnosticsAsync()).RowCounts;
                Assert.Equal(100, counts["checkpoints"]);
                foreach (var id in tasks)
                {
                    Assert.Equal(Enumerable.Range(0, 10).Select(s => (long)s), (await store.ListCheckpointsAsync(id)).Select(c => c.Step));
                    Assert.Equal(100, (await store.GetTaskAsync(id))!.Progress);
                }

                // 10 creates + 20 moves + 100 progress updates.
                Assert.Equal(130, counts["task_events"]);
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"10x10 checkpoints took {sw.Elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms");
                await ChaosStoreHelpers.AssertSoundAsync(store);
            }
            finally
            {
                workers.ForEach(w => w.Dispose());
            }
        });
    }
}
