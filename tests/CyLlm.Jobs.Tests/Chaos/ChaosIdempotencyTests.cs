using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 4: 50 concurrent POSTs with the same idempotency key (5 processes × 10 requests) create one task.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosIdempotencyTests
{
    [Fact]
    public async Task Fifty_concurrent_creates_across_processes_with_one_key_create_one_task()
    {
        using var dir = new TempDir();
        string db = dir.File("jobs.db");
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        await Evidence.GuardAsync("chaos-idempotency", () => store, () => null, async () =>
        {
            var workers = Enumerable.Range(0, 5).Select(_ => WorkerProcess.Start("idempotent-create", db, "tenant", "idem-key-1", "10")).ToList();
            try
            {
                foreach (var w in workers)
                {
                    await w.WaitForLineAsync(l => l == "ready");
                }

                await Task.WhenAll(workers.Select(w => w.SendLineAsync("go")));
                var answers = new List<string>();
                foreach (var w in workers)
                {
                    Assert.True(await w.WaitForExitAsync() == 0, w.StdErr);
                    answers.AddRange(w.Lines.Where(l => l.StartsWith("created ", StringComparison.Ordinal) || l.StartsWith("replay ", StringComparison.Ordinal)));
                }

                Assert.Equal(50, answers.Count);
                string created = Assert.Single(answers, a => a.StartsWith("created ", StringComparison.Ordinal));
                string id = created["created ".Length..];
                Assert.All(answers, a => Assert.EndsWith(" " + id, a));
                var tasks = await store.ListTasksAsync("tenant", limit: 100);
                Assert.Equal(id, Assert.Single(tasks).Id.Value);
                Assert.Equal(1, (await store.GetDiagnosticsAsync()).Idempotency.Completed);
                await ChaosStoreHelpers.AssertSoundAsync(store);
            }
            finally
            {
                workers.ForEach(w => w.Dispose());
            }
        });
    }
}
