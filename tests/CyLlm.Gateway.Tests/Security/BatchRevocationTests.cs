using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Batches;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs;
using CyLlm.Jobs.Batches;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>A batch runs with its submitter's rights: revoking its key or disabling its tenant stops it before its
/// next line (failed, <c>authorization_revoked</c>), within the authentication cache's bound.</summary>
public sealed class BatchRevocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_stops_once_its_key_is_revoked_or_its_tenant_disabled(bool disableTenant)
    {
        var backend = new PermitBackend(initialPermits: 0);
        await using var s = await AuthServer.StartAsync(o => o with { BackendFactory = () => backend, BatchConcurrency = 1 });
        var key = await s.IssueAsync("acme");
        var file = await DurableApi.UploadAsync(s.Server.Http, DurableApi.ChatLines(6), apiKey: key.Secret);
        string id = (await DurableApi.CreateBatchAsync(s.Server.Http, file.GetProperty("id").GetString()!, apiKey: key.Secret)).GetProperty("id").GetString()!;

        // The first line is in the engine, waiting for a permit: the submitter loses its rights now.
        await WaitAsync(() => backend.Entered >= 1, "the batch never started a line");
        if (disableTenant)
        {
            await s.Keys.UpsertTenantAsync("acme", null, disabled: true);
        }
        else
        {
            await s.Keys.RevokeAsync("acme", key.Record.Id);
        }

        // Past the authentication cache's bound (the same bound within which the key itself stops working).
        s.Time.Advance(s.Server.App.State.Options.AuthCacheTtl + TimeSpan.FromSeconds(1));
        backend.Release(100);
        var store = s.Server.App.State.Store;
        var taskId = TaskId.Parse(id);
        await WaitAsync(async () => (await store.GetTaskAsync(taskId))!.IsTerminal, "the batch never ended");
        var task = (await store.GetTaskAsync(taskId))!;
        Assert.Equal(TaskStage.Failed, task.Stage);
        Assert.Equal(BatchRunner.AuthorizationRevokedCode, task.Error!.Code);
        Assert.Contains(disableTenant ? "is disabled" : "was revoked", task.Error.Message, StringComparison.Ordinal);
        // The line in flight finished; no other line ran.
        Assert.Equal(1, backend.Generated);
    }

    private static Task WaitAsync(Func<bool> done, string what) => WaitAsync(() => Task.FromResult(done()), what);

    private static async Task WaitAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(10);
        }
    }
}
