using System.Globalization;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 3: kill -9 of a worker holding a task lease; another resumes from the last checkpoint.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosLeaseTests
{
    private const int Steps = 12;
    private const int LeaseMs = 800;

    [Fact]
    public async Task A_killed_lease_holder_is_resumed_after_expiry_and_no_recorded_step_runs_twice()
    {
        using var dir = new TempDir();
        string db = dir.File("jobs.db");
        string workLog = dir.File("work.log");
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        TaskId? taskId = null;
        await Evidence.GuardAsync("chaos-lease-kill", () => store, () => taskId, async () =>
        {
            var t = await store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "tenant", store.Time.GetUtcNow()));
            taskId = t.Id;
            t = await store.UpdateTaskAsync(TaskStateMachine.MoveTo(t, TaskStage.Queued, store.Time.GetUtcNow()), t.Version);
            await store.UpdateTaskAsync(TaskStateMachine.MoveTo(t, TaskStage.Running, store.Time.GetUtcNow()), t.Version);
            string ms = LeaseMs.ToString(CultureInfo.InvariantCulture);
            string steps = Steps.ToString(CultureInfo.InvariantCulture);

            // Worker A works slowly (300 ms a step: slow enough that a test host busy for most of a second still kills it
            // mid-run) and dies somewhere inside the step after checkpoint 4.
            using (var a = WorkerProcess.Start("lease-worker", db, t.Id.Value, "worker-a", steps, ms, workLog, "300"))
            {
                await a.WaitForLineAsync(l => l == "cp 4");
                await Task.Delay(new Random(7).Next(0, 300));
                await a.KillAsync();
            }

            var killedAt = DateTimeOffset.UtcNow;
            var leaseA = await store.GetLeaseAsync(t.Id);
            Assert.Equal("worker-a", leaseA!.Owner);
            long lastA = (await store.GetLatestCheckpointAsync(t.Id))!.Step;
            Assert.InRange(lastA, 4, Steps - 2);

            using var b = WorkerProcess.Start("lease-worker", db, t.Id.Value, "worker-b", steps, ms, workLog, "10");
            string acquired = await b.WaitForLineAsync(l => l.StartsWith("acquired", StringComparison.Ordinal));
            Assert.Equal($"acquired 2 resume {lastA + 1}", acquired);
            Assert.Equal(0, await b.WaitForExitAsync());
            Assert.Contains("finished", b.Lines);

            // B only took over once A's lease had expired.
            var leaseB = await store.GetLeaseAsync(t.Id);
            Assert.Equal("worker-b", leaseB!.Owner);
            Assert.True(leaseB.AcquiredAt >= leaseA.ExpiresAt, $"B acquired at {leaseB.AcquiredAt:O}, A's lease ran to {leaseA.ExpiresAt:O}");

            var checkpoints = await store.ListCheckpointsAsync(t.Id);
            Assert.Equal(Enumerable.Range(0, Steps).Select(s => (long)s), checkpoints.Select(c => c.Step));
            Assert.All(checkpoints, c => Assert.Equal(c.Step <= lastA ? "worker-a" : "worker-b", c.Owner));
            foreach (var c in checkpoints)
            {
                var v = AtomicFile.Verify(c.Path);
                Assert.True(v.IsOk, v.ToString());
                Assert.Equal((c.SizeBytes, c.Sha256), (v.ActualSize!.Value, v.ActualSha256!));
            }

            // The work log shows who ran what: B never re-ran a step A had recorded as done.
            var runs = File.ReadAllLines(workLog).Select(l => l.Split(' ')).Select(p => (Owner: p[0], Step: long.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
            var byB = runs.Where(r => r.Owner == "worker-b").Select(r => r.Step).ToList();
            Assert.Equal(Enumerable.Range((int)lastA + 1, Steps - (int)lastA - 1).Select(s => (long)s), byB);
            Assert.All(runs.Where(r => r.Step <= lastA), r => Assert.Equal("worker-a", r.Owner));
            Assert.Single(runs, r => r.Step == 0);

            var final = await store.GetTaskAsync(t.Id);
            Assert.Equal(TaskStage.Succeeded, final!.Stage);
            Assert.Equal(100, final.Progress);
            Assert.True(DateTimeOffset.UtcNow > killedAt);
            await ChaosStoreHelpers.AssertSoundAsync(store);
        });
    }
}
