using System.Text.Json;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>The batch engine end to end on each store: completion, resume, cancel, expiry, invalid input.</summary>
public abstract partial class JobStoreConformanceTests
{
    private const string Endpoint = "/v1/chat/completions";

    private static string[] BatchLines(int n) =>
        [.. Enumerable.Range(0, n).Select(i => $"{{\"custom_id\":\"req-{i}\",\"method\":\"POST\",\"url\":\"{Endpoint}\",\"body\":{{\"messages\":[{{\"role\":\"user\",\"content\":\"q{i}\"}}]}}}}")];

    [Fact]
    public Task Batch_runs_to_completion_and_writes_each_answer_once() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        var exec = new ScriptedExecutor(failIndex: 3);
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { ProgressEvery = 4 });
        var summary = await runner.RunAsync(batch.Id, BatchLines(10), "worker-1");
        Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
        Assert.Equal(10, summary.LinesExecuted);
        Assert.Equal(new BatchRequestCounts(10, 9, 1), summary.Counts);
        var task = summary.Task!;
        Assert.Equal(TaskStage.Completed, task.Stage);
        Assert.Equal(100, task.Progress);
        var result = BatchResult.FromJson(task.Result)!;
        Assert.Equal(new BatchRequestCounts(10, 9, 1), result.RequestCounts);
        var output = await Store.GetFileAsync(TenantA, result.OutputFileId!);
        Assert.True(AtomicFile.Verify(output!.Path).IsOk);
        var outLines = File.ReadAllLines(output.Path);
        Assert.Equal(Enumerable.Range(0, 10).Where(i => i != 3).Select(i => $"req-{i}"),
            outLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
        var errLines = File.ReadAllLines((await Store.GetFileAsync(TenantA, result.ErrorFileId!))!.Path);
        Assert.Equal("executor_error", JsonDocument.Parse(Assert.Single(errLines)).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal([TaskStage.Validating, TaskStage.InProgress, TaskStage.Finalizing, TaskStage.Completed],
            (await Store.GetTaskHistoryAsync(batch.Id)).Select(e => e.ToStage).Distinct());
        var next = await Store.TryAcquireLeaseAsync(batch.Id, "x", TimeSpan.FromSeconds(1));
        Assert.Equal(2, next?.Epoch);

        var again = await runner.RunAsync(batch.Id, BatchLines(10), "x");
        Assert.Equal(BatchRunOutcome.AlreadyFinished, again.Outcome);
        Assert.Equal(10, exec.Calls);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_resumes_after_a_lost_worker_without_re_running_answered_lines() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        var lease = (await Store.TryAcquireLeaseAsync(batch.Id, "dead-worker", TimeSpan.FromSeconds(30)))!;
        batch = await Store.UpdateTaskAsync(TaskStateMachine.MoveTo(batch, TaskStage.InProgress, Time.GetUtcNow()), batch.Version, lease);
        for (int i = 0; i < 4; i++)
        {
            await Store.RecordBatchResultAsync(new BatchLineResult(batch.Id, i, $"req-{i}", 200, "{\"from\":\"dead\"}", null, null, Time.GetUtcNow()), lease);
        }

        var exec = new ScriptedExecutor();
        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path));
        Assert.Equal(BatchRunOutcome.LeaseHeld, (await runner.RunAsync(batch.Id, BatchLines(8), "worker-2")).Outcome);
        Time.Advance(TimeSpan.FromSeconds(30));
        var summary = await runner.RunAsync(batch.Id, BatchLines(8), "worker-2");
        Assert.Equal(BatchRunOutcome.Completed, summary.Outcome);
        Assert.Equal(4, summary.LinesSkipped);
        // Several lines run at once (default MaxConcurrentLines), so they may start in any order.
        Assert.Equal([4, 5, 6, 7], exec.Executed.Order());
        var results = await Store.ListBatchResultsAsync(batch.Id);
        Assert.Equal(Enumerable.Range(0, 8), results.Select(r => r.LineIndex));
        Assert.All(results.Take(4), r => Assert.Equal("{\"from\":\"dead\"}", r.ResponseBody));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_cancel_expiry_and_invalid_input_end_in_their_stages() => Scenario(async () =>
    {
        using var dir = new TempDir();
        // One line at a time, so the counts at the cancel and the expiry are exact.
        var options = new BatchRunnerOptions(dir.Path) { ProgressEvery = 1, MaxConcurrentLines = 1 };

        // Cancel requested while running: the runner stops at its next progress write and writes partial files.
        var cancelled = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("f", Endpoint, "24h"));
        Focus(cancelled.Id);
        var exec = new ScriptedExecutor { OnCall = i => i == 2 ? BatchRunner.RequestCancelAsync(Store, cancelled.Id) : Task.CompletedTask };
        var s1 = await new BatchRunner(Store, exec, options).RunAsync(cancelled.Id, BatchLines(10), "w");
        Assert.Equal(BatchRunOutcome.Cancelled, s1.Outcome);
        Assert.Equal(TaskStage.Cancelled, s1.Task!.Stage);
        Assert.Equal(3, BatchResult.FromJson(s1.Task.Result)!.RequestCounts.Completed);

        // The completion window passes mid-run: expired, with the error and partial counts.
        var expiring = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("f", Endpoint, "1h"));
        Focus(expiring.Id);
        var slow = new ScriptedExecutor { OnCall = i => { if (i == 4) { Time.Advance(TimeSpan.FromHours(1)); } return Task.CompletedTask; } };
        var s2 = await new BatchRunner(Store, slow, options with { LeaseDuration = TimeSpan.FromHours(2) }).RunAsync(expiring.Id, BatchLines(10), "w");
        Assert.Equal(BatchRunOutcome.Expired, s2.Outcome);
        Assert.Equal(TaskStatus.Failed, s2.Task!.Status);
        Assert.Equal("batch_expired", s2.Task.Error!.Code);
        Assert.Equal(5, BatchResult.FromJson(s2.Task.Result)!.RequestCounts.Completed);

        // A bad input line fails the batch in validation, naming the line.
        var invalid = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("f", Endpoint, "24h"));
        Focus(invalid.Id);
        string[] lines = [.. BatchLines(3), "{\"custom_id\":\"req-0\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}"];
        var s3 = await new BatchRunner(Store, new ScriptedExecutor(), options).RunAsync(invalid.Id, lines, "w");
        Assert.Equal(BatchRunOutcome.Failed, s3.Outcome);
        Assert.Equal("invalid_input_file", s3.Task!.Error!.Code);
        Assert.Contains("line 4: duplicate custom_id 'req-0'", s3.Task.Error.Message);
        await AssertConsistentAsync();
    });

    /// <summary>Answers {"answer": index}; throws for <c>failIndex</c>; records what it ran (called from several lines at once).</summary>
    private sealed class ScriptedExecutor(int failIndex = -1) : IBatchLineExecutor
    {
        private readonly Lock gate = new();
        private readonly List<int> executed = [];

        public Func<int, Task>? OnCall { get; init; }

        public int Calls
        {
            get
            {
                lock (gate)
                {
                    return executed.Count;
                }
            }
        }

        public IReadOnlyList<int> Executed
        {
            get
            {
                lock (gate)
                {
                    return [.. executed];
                }
            }
        }

        public async Task<BatchLineResponse> ExecuteAsync(BatchRequestLine line, CancellationToken ct)
        {
            lock (gate)
            {
                executed.Add(line.Index);
            }

            if (OnCall is not null)
            {
                await OnCall(line.Index);
            }

            if (line.Index == failIndex)
            {
                throw new InvalidOperationException("model crashed");
            }

            return new BatchLineResponse(200, $"{{\"answer\":{line.Index}}}");
        }
    }
}
