using System.Globalization;
using System.Text.Json;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 7: a batch killed mid-run (several lines in flight) finishes after restart with every line answered exactly once.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosBatchTests
{
    private const int Lines = 60;

    /// <summary>Lines each worker runs at once (BatchRunnerOptions.MaxConcurrentLines).</summary>
    private const string Concurrency = "4";

    [Fact]
    public async Task A_batch_killed_mid_run_completes_after_restart_answering_each_line_once()
    {
        using var dir = new TempDir();
        string db = dir.File("jobs.db"), input = dir.File("input.jsonl"), execLog = dir.File("exec.log"), outDir = dir.File("out");
        File.WriteAllLines(input, Enumerable.Range(0, Lines).Select(i =>
            $"{{\"custom_id\":\"req-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"m\",\"messages\":[{{\"role\":\"user\",\"content\":\"{i}\"}}]}}}}"));
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));
        TaskId? batchId = null;
        await Evidence.GuardAsync("chaos-batch-kill", () => store, () => batchId, async () =>
        {
            var batch = await BatchRunner.CreateAsync(store, "tenant", new BatchSpec("file-input", "/v1/chat/completions", "24h"));
            batchId = batch.Id;
            // Four lines at once: when line 24 starts, 0..23 were started and at most three are still in flight, so at
            // least 21 are recorded; the kill lands with lines in flight.
            using (var first = WorkerProcess.Start("batch", db, batch.Id.Value, input, outDir, "worker-a", execLog, "800", "200", Concurrency))
            {
                await first.WaitForLineAsync(l => l == "exec 24");
                await first.KillAsync();
            }

            var answeredBeforeRestart = (await store.ListBatchResultsAsync(batch.Id)).Select(r => r.LineIndex).ToHashSet();
            Assert.InRange(answeredBeforeRestart.Count, 20, Lines - 1);
            Assert.Equal(TaskStage.InProgress, (await store.GetTaskAsync(batch.Id))!.Stage);

            using (var second = WorkerProcess.Start("batch", db, batch.Id.Value, input, outDir, "worker-b", execLog, "800", "2", Concurrency))
            {
                Assert.Equal(0, await second.WaitForExitAsync());
                Assert.Contains(second.Lines, l => l.StartsWith("outcome Completed", StringComparison.Ordinal)
                    && l.EndsWith($"skipped {answeredBeforeRestart.Count}", StringComparison.Ordinal));
            }

            // Nothing worker-a answered was executed again by worker-b.
            var runs = File.ReadAllLines(execLog).Select(l => l.Split(' ')).Select(p => (Owner: p[0], Line: int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
            var byB = runs.Where(r => r.Owner == "worker-b").Select(r => r.Line).ToList();
            Assert.Empty(byB.Intersect(answeredBeforeRestart));
            // Exactly the unrecorded lines, each once (started in any order, several at a time).
            Assert.Equal(Enumerable.Range(0, Lines).Where(i => !answeredBeforeRestart.Contains(i)), byB.Order());

            var task = await store.GetTaskAsync(batch.Id);
            Assert.Equal(TaskStage.Completed, task!.Stage);
            var result = BatchResult.FromJson(task.Result)!;
            Assert.Equal(new BatchRequestCounts(Lines, Lines, 0), result.RequestCounts);
            Assert.Null(result.ErrorFileId);
            var output = (await store.GetFileAsync("tenant", result.OutputFileId!))!;
            Assert.True(AtomicFile.Verify(output.Path).IsOk);
            var ids = File.ReadAllLines(output.Path).Select(l =>
            {
                using var doc = JsonDocument.Parse(l);
                var root = doc.RootElement;
                Assert.Equal(200, root.GetProperty("response").GetProperty("status_code").GetInt32());
                Assert.Equal(root.GetProperty("custom_id").GetString(), root.GetProperty("response").GetProperty("body").GetProperty("echo").GetString());
                return root.GetProperty("custom_id").GetString();
            }).ToList();
            Assert.Equal(Enumerable.Range(0, Lines).Select(i => $"req-{i}"), ids);
            Assert.Equal(Lines, (await store.ListBatchResultsAsync(batch.Id)).Count);
            await ChaosStoreHelpers.AssertSoundAsync(store);
        });
    }
}
