using System.Text.Json;
using CsCheck;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>
/// The batch runner with several lines in flight (<see cref="BatchRunnerOptions.MaxConcurrentLines"/>), on each store:
/// the bound, completion out of order, crash and resume, cancel and lease loss with lines in flight, and 1 = serial.
/// The test decides every completion through <see cref="GatedBatchExecutor"/>; nothing sleeps.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Batch_runs_MaxConcurrentLines_lines_at_once_and_records_each_as_it_completes() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        using var exec = new GatedBatchExecutor();
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 4, ProgressEvery = 3 });
        var run = runner.RunAsync(batch.Id, BatchLines(10), "worker-1");

        await exec.WaitForWaitingAsync(4);
        Assert.Equal([0, 1, 2, 3], exec.Waiting);

        // Line 2 completes first: it is recorded at once, and its consumer takes the next line (4).
        exec.Complete(2);
        await exec.WaitForWaitingAsync(4);
        Assert.Equal([0, 1, 3, 4], exec.Waiting);
        Assert.Equal([2], (await Store.ListBatchResultsAsync(batch.Id)).Select(r => r.LineIndex));

        exec.Complete(0);
        await exec.WaitForWaitingAsync(4);
        Assert.Equal([1, 3, 4, 5], exec.Waiting);
        Assert.Equal([0, 2], (await Store.ListBatchResultsAsync(batch.Id)).Select(r => r.LineIndex));

        // The rest newest first; four stay in flight until fewer than four are left.
        for (int left = 8; left > 0; left--)
        {
            exec.Complete(exec.Waiting[^1]);
            await exec.WaitForWaitingAsync(Math.Min(4, left - 1));
        }

        var summary = await run;
        Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
        Assert.Equal(10, summary.LinesExecuted);
        Assert.Equal(4, exec.MaxInFlight);
        Assert.Equal(Enumerable.Range(0, 10), exec.Started.Order());
        Assert.Equal(new BatchRequestCounts(10, 10, 0), BatchResult.FromJson(summary.Task!.Result)!.RequestCounts);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"req-{i}"), (await OutputLinesAsync(summary.Task!, error: false)).Select(CustomId));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_lines_completed_in_reverse_order_still_give_files_in_input_order() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        using var exec = new GatedBatchExecutor();
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 8, ProgressEvery = 2 });
        var run = runner.RunAsync(batch.Id, BatchLines(8), "worker-1");

        await exec.WaitForWaitingAsync(8);
        for (int i = 7; i >= 0; i--)
        {
            // Every third line fails (a 400 with the endpoint's error object), so both files are written.
            exec.Complete(i, i % 3 == 0 ? new BatchLineResponse(400, $"{{\"error\":{{\"message\":\"bad {i}\"}}}}") : null);
        }

        var summary = await run;
        Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
        Assert.Equal(8, exec.MaxInFlight);
        Assert.Equal(new BatchRequestCounts(8, 5, 3), BatchResult.FromJson(summary.Task!.Result)!.RequestCounts);
        var output = await OutputLinesAsync(summary.Task!, error: false);
        Assert.Equal(["req-1", "req-2", "req-4", "req-5", "req-7"], output.Select(CustomId));
        Assert.All(output, l => Assert.Equal(CustomId(l), $"req-{l.GetProperty("response").GetProperty("body").GetProperty("line").GetInt32()}"));
        var errors = await OutputLinesAsync(summary.Task!, error: true);
        Assert.Equal(["req-0", "req-3", "req-6"], errors.Select(CustomId));
        Assert.All(errors, l => Assert.Equal("request_failed", l.GetProperty("error").GetProperty("code").GetString()));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_cancel_with_lines_in_flight_starts_no_new_line_and_records_the_ones_in_flight() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        using var exec = new GatedBatchExecutor();
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 4, ProgressEvery = 1 });
        var run = runner.RunAsync(batch.Id, BatchLines(10), "worker-1");

        await exec.WaitForWaitingAsync(4);
        await BatchRunner.RequestCancelAsync(Store, batch.Id);
        // The first answer's progress write finds the batch cancelling; no consumer takes another line after its answer.
        foreach (int i in new[] { 2, 0, 3, 1 })
        {
            exec.Complete(i);
        }

        var summary = await run;
        Assert.Equal(BatchRunOutcome.Cancelled, summary.Outcome);
        Assert.Equal(TaskStage.Cancelled, summary.Task!.Stage);
        Assert.Equal([0, 1, 2, 3], exec.Started.Order());
        Assert.Equal(4, summary.LinesExecuted);
        Assert.Equal(new BatchRequestCounts(10, 4, 0), BatchResult.FromJson(summary.Task.Result)!.RequestCounts);
        Assert.Equal(["req-0", "req-1", "req-2", "req-3"], (await OutputLinesAsync(summary.Task, error: false)).Select(CustomId));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_lease_lost_with_lines_in_flight_records_nothing_more() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        using var exec = new GatedBatchExecutor();
        var options = new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 3, ProgressEvery = 1, LeaseDuration = TimeSpan.FromSeconds(30) };
        var run = new BatchRunner(Store, exec, options).RunAsync(batch.Id, BatchLines(6), "worker-1");

        await exec.WaitForWaitingAsync(3);
        // The worker stalls past its lease and another takes the batch over.
        Time.Advance(TimeSpan.FromSeconds(31));
        var thief = await Store.TryAcquireLeaseAsync(batch.Id, "worker-2", TimeSpan.FromMinutes(5));
        Assert.NotNull(thief);
        exec.Complete(1);

        var summary = await run;
        Assert.Equal(BatchRunOutcome.LeaseLost, summary.Outcome);
        Assert.Equal(0, summary.LinesExecuted);
        Assert.Empty(await Store.ListBatchResultsAsync(batch.Id));
        // The fenced write failed; the other lines in flight were cancelled and no new line started.
        Assert.Equal([0, 1, 2], exec.Started.Order());
        Assert.Empty(exec.Waiting);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_with_MaxConcurrentLines_1_runs_lines_in_order_recording_each_before_the_next() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        using var exec = new GatedBatchExecutor();
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 1, ProgressEvery = 2 });
        var run = runner.RunAsync(batch.Id, BatchLines(6), "worker-1");
        for (int i = 0; i < 6; i++)
        {
            await exec.WaitForWaitingAsync(1);
            Assert.Equal([i], exec.Waiting);
            Assert.Equal(Enumerable.Range(0, i), (await Store.ListBatchResultsAsync(batch.Id)).Select(r => r.LineIndex));
            exec.Complete(i);
        }

        var summary = await run;
        Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
        Assert.Equal(1, exec.MaxInFlight);
        Assert.Equal(Enumerable.Range(0, 6), exec.Started);
        Assert.Equal(new BatchRequestCounts(6, 6, 0), summary.Counts);
        await AssertConsistentAsync();
    });

    [Fact]
    public void Batch_runner_refuses_a_concurrency_outside_1_to_the_limit()
    {
        using var dir = new TempDir();
        using var exec = new GatedBatchExecutor();
        Assert.Throws<ArgumentException>(() => new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 0 }));
        Assert.Throws<ArgumentException>(() => new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = BatchRunnerOptions.MaxConcurrentLinesLimit + 1 }));
        _ = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = BatchRunnerOptions.MaxConcurrentLinesLimit });
    }

    /// <summary>
    /// Random concurrency, size, completion order, answers (some failing) and up to three crashes (the runner stopped
    /// with lines in flight) at random points, then a run to the end: every line appears exactly once in the files, in
    /// input order, with the answer of a run that completed it; no recorded line is executed again.
    /// </summary>
    [Fact]
    public Task Batch_crashed_at_random_points_with_random_completion_order_answers_every_line_exactly_once() => Scenario(async () =>
    {
        using var dir = new TempDir();
        await Gen.Select(Gen.Int[1, 5], Gen.Int[1, 14], Gen.Int[0, 3], Gen.Int).SampleAsync(async (concurrency, count, crashes, seed) =>
        {
            var rng = new Random(seed);
            var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
            Focus(batch.Id);
            string[] input = BatchLines(count);
            var completedBy = new List<HashSet<int>>();
            for (int r = 0; r <= crashes; r++)
            {
                var before = (await Store.ListBatchResultsAsync(batch.Id)).Select(x => x.LineIndex).ToHashSet();
                int unanswered = count - before.Count;
                bool crash = r < crashes && unanswered > 0;
                // A crash leaves at least one line in flight; the last run completes everything.
                int completions = crash ? rng.Next(unanswered) : unanswered;
                var options = new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = concurrency, ProgressEvery = rng.Next(1, 4) };
                using var exec = new GatedBatchExecutor();
                using var cts = new CancellationTokenSource();
                var run = new BatchRunner(Store, exec, options).RunAsync(batch.Id, input, $"worker-{r}", cts.Token);
                var completed = new HashSet<int>();
                completedBy.Add(completed);
                for (int c = 0; c < completions; c++)
                {
                    await exec.WaitForWaitingAsync(Math.Min(concurrency, unanswered - c));
                    int[] waiting = exec.Waiting;
                    int line = waiting[rng.Next(waiting.Length)];
                    completed.Add(line);
                    exec.Complete(line, rng.Next(4) == 0
                        ? new BatchLineResponse(429, $"{{\"error\":{{\"message\":\"busy\"}},\"line\":{line},\"run\":{r}}}")
                        : new BatchLineResponse(200, $"{{\"line\":{line},\"run\":{r}}}"));
                }

                if (crash)
                {
                    await exec.WaitForWaitingAsync(Math.Min(concurrency, unanswered - completions));
                    await cts.CancelAsync();
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
                    var after = (await Store.ListBatchResultsAsync(batch.Id)).Select(x => x.LineIndex).ToHashSet();
                    // Only lines this run completed were recorded; the cancelled ones were not.
                    Assert.Subset(completed, after.Except(before).ToHashSet());
                }
                else
                {
                    var summary = await run;
                    Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
                    Assert.Equal(before.Count, summary.LinesSkipped);
                }

                // A resumed run never executes a recorded line.
                Assert.Empty(exec.Started.Intersect(before));
                Assert.Equal(exec.Started.Count, exec.Started.Distinct().Count());
                if (!crash)
                {
                    break;
                }
            }

            var task = (await Store.GetTaskAsync(batch.Id))!;
            Assert.Equal(TaskStage.Completed, task.Stage);
            var results = await Store.ListBatchResultsAsync(batch.Id);
            Assert.Equal(Enumerable.Range(0, count), results.Select(x => x.LineIndex));
            var output = await OutputLinesAsync(task, error: false);
            var errors = await OutputLinesAsync(task, error: true);
            // Each file in input order; together every line exactly once.
            Assert.Equal(results.Where(x => x.Succeeded).Select(x => $"req-{x.LineIndex}"), output.Select(CustomId));
            Assert.Equal(results.Where(x => !x.Succeeded).Select(x => $"req-{x.LineIndex}"), errors.Select(CustomId));
            foreach (var l in output.Concat(errors))
            {
                var body = l.GetProperty("response").GetProperty("body");
                int line = body.GetProperty("line").GetInt32();
                Assert.Equal($"req-{line}", CustomId(l));
                Assert.Contains(line, completedBy[body.GetProperty("run").GetInt32()]);
            }

            var counts = BatchResult.FromJson(task.Result)!.RequestCounts;
            Assert.Equal(count, counts.Total);
            Assert.Equal(results.Count(x => x.Succeeded), counts.Completed);
            Assert.Equal(results.Count(x => !x.Succeeded), counts.Failed);
        }, iter: 30, threads: 1);
        await AssertConsistentAsync();
    });

    private async Task<List<JsonElement>> OutputLinesAsync(TaskRecord task, bool error)
    {
        var result = BatchResult.FromJson(task.Result)!;
        string? fileId = error ? result.ErrorFileId : result.OutputFileId;
        if (fileId is null)
        {
            return [];
        }

        var file = (await Store.GetFileAsync(task.TenantId, fileId))!;
        Assert.True(AtomicFile.Verify(file.Path).IsOk);
        return [.. File.ReadAllLines(file.Path).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static string CustomId(JsonElement line) => line.GetProperty("custom_id").GetString()!;
}
