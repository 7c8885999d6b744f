using System.Text.Json;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>A batch whose submitter lost its rights (key revoked, tenant disabled) stops before its next line.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Batch_fails_before_its_next_line_once_its_submitter_is_revoked() => Scenario(async () =>
    {
        using var dir = new TempDir();
        var batch = await BatchRunner.CreateAsync(Store, TenantA, new BatchSpec("file-in", Endpoint, "24h"));
        Focus(batch.Id);
        var exec = new ScriptedExecutor();
        int checks = 0;
        // The key is revoked once three lines have run: the check before the fourth line says so.
        Task<string?> Authorization(CancellationToken ct)
        {
            Interlocked.Increment(ref checks);
            return Task.FromResult(exec.Calls >= 3 ? "the API key sk-cy-abcdefgh… that submitted the batch was revoked" : null);
        }

        var runner = new BatchRunner(Store, exec, new BatchRunnerOptions(dir.Path) { MaxConcurrentLines = 1 }, Authorization);
        var summary = await runner.RunAsync(batch.Id, BatchLines(10), "worker-1");
        Assert.Equal(BatchRunOutcome.Failed, summary.Outcome);
        Assert.Equal(3, exec.Calls);
        Assert.Equal(4, checks);
        var task = summary.Task!;
        Assert.Equal(TaskStage.Failed, task.Stage);
        Assert.Equal(BatchRunner.AuthorizationRevokedCode, task.Error!.Code);
        Assert.Contains("was revoked", task.Error.Message, StringComparison.Ordinal);
        Assert.Contains("7 of 10 requests were not run", task.Error.Message, StringComparison.Ordinal);
        // The answered lines are kept in the output file, as for a cancelled batch.
        var result = BatchResult.FromJson(task.Result)!;
        Assert.Equal(new BatchRequestCounts(10, 3, 0), result.RequestCounts);
        var output = await Store.GetFileAsync(TenantA, result.OutputFileId!);
        Assert.Equal(["req-0", "req-1", "req-2"], File.ReadAllLines(output!.Path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
        // Nothing runs it again.
        Assert.Equal(BatchRunOutcome.AlreadyFinished, (await runner.RunAsync(batch.Id, BatchLines(10), "worker-2")).Outcome);
        await AssertConsistentAsync();
    });
}
