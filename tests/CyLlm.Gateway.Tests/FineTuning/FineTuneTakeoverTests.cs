using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs.Blobs;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>
/// Two gateways on one store with <c>--file-storage store</c>: a fine-tuning job stopped on the first one (its data
/// folder then deleted) resumes on the second from its last checkpoint, fetched from the store, and its training file
/// comes from the store too. In-process servers on one SQLite file (the code path PostgreSQL replicas take).
/// </summary>
public sealed class FineTuneTakeoverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-ft-takeover-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_job_whose_replica_stops_resumes_on_another_from_its_last_checkpoint()
    {
        string db = Path.Combine(_dir, "shared.db");
        GatewayOptions Replica(GatewayOptions o, ScriptedExecutor exec) =>
            o with { SqlitePath = db, FileStorage = FileStorageKind.Store, FineTuneExecutorFactory = _ => exec };

        var first = new ScriptedExecutor { Steps = 5, BlockAtStep = 3 };
        string job, trainingFile;
        string content = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
        string firstData;
        await using (var a = await LiveServer.StartFakeAsync(new FakeBackend(), o => Replica(o, first)))
        {
            firstData = a.App.State.StoreHost.DataDirectory;
            trainingFile = (await DurableApi.UploadAsync(a.Http, content, purpose: "fine-tune")).GetProperty("id").GetString()!;
            using var create = await a.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"fake\",\"training_file\":\"{trainingFile}\"}}");
            job = (await DurableApi.OkJsonAsync(create)).GetProperty("id").GetString()!;
            // Steps 1 and 2 are checkpointed; the executor waits in step 3 until the server stops.
            await first.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(await a.App.State.StoreHost.SharedBlobs!.GetBlobInfoAsync(SharedFineTuneFiles.CheckpointBlobId(job, 2)));
        }

        // The first replica's data folder (a temporary one) is gone with it: nothing can come from there.
        Assert.False(Directory.Exists(firstData));

        var second = new ScriptedExecutor { Steps = 5 };
        await using var b = await LiveServer.StartFakeAsync(new FakeBackend(), o => Replica(o, second));
        var done = await DurableApi.WaitFineTuneAsync(b.Http, job);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());

        Assert.True(second.Resumes.TryDequeue(out var resumed));
        Assert.NotNull(resumed);
        Assert.Equal(2, resumed!.Step);
        string jobDir = Path.Combine(b.App.State.StoreHost.DataDirectory, "fine_tuning", job);
        Assert.Equal(Path.Combine(jobDir, "step-2.ckpt"), resumed.Path);
        Assert.Equal(ScriptedExecutor.CheckpointText + 2, await File.ReadAllTextAsync(resumed.Path));
        Assert.Equal(Path.Combine(b.App.State.StoreHost.FileCacheDirectory, trainingFile), Assert.Single(second.Runs).TrainingFilePath);

        // Steps 3 to 5 ran on the second replica only; every step has one checkpoint.
        var ckpts = await DurableApi.GetJsonAsync(b.Http, $"/v1/fine_tuning/jobs/{job}/checkpoints?limit=10");
        Assert.Equal([5L, 4, 3, 2, 1], ckpts.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("step_number").GetInt64()));
        // The store keeps the newest two shared checkpoints of the job, not one per step.
        var shared = b.App.State.StoreHost.SharedBlobs!;
        Assert.NotNull(await shared.GetBlobInfoAsync(SharedFineTuneFiles.CheckpointBlobId(job, 5)));
        Assert.NotNull(await shared.GetBlobInfoAsync(SharedFineTuneFiles.CheckpointBlobId(job, 4)));
        Assert.Null(await shared.GetBlobInfoAsync(SharedFineTuneFiles.CheckpointBlobId(job, 3)));
        var events = await DurableApi.GetJsonAsync(b.Http, $"/v1/fine_tuning/jobs/{job}/events?limit=100");
        Assert.Contains(events.GetProperty("data").EnumerateArray(), e => e.GetProperty("message").GetString()!.Contains("resuming from checkpoint at step 2", StringComparison.Ordinal));
    }
}
