using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.FineTuning;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CyLlm.Gateway.Tests.Hosting;

/// <summary>
/// An exception in a background loop (the batch worker, the fine-tuning worker) is logged and retried with backoff; it
/// never stops the host (an exception escaping a BackgroundService stops it by default), and the next iteration runs.
/// </summary>
public sealed class BackgroundResilienceTests
{
    private static async Task<(LiveServer Server, FaultingStore Faults)> StartAsync(Func<string, object?[], Exception?> fault, Func<GatewayOptions, GatewayOptions>? tweak = null)
    {
        FaultingStore? control = null;
        var server = await LiveServer.StartFakeAsync(new FakeBackend(), o =>
        {
            o = o with
            {
                // Retry at once: the test waits on what the next iteration does, not on a clock.
                BackgroundRetryDelay = TimeSpan.Zero,
                WrapStore = inner =>
                {
                    var (store, c) = FaultingStore.Wrap(inner, fault);
                    control = c;
                    return store;
                },
            };
            return tweak is null ? o : tweak(o);
        });
        return (server, control!);
    }

    private static void AssertRunning(LiveServer s) =>
        Assert.False(s.App.App.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the host is stopping");

    [Fact]
    public async Task A_failing_batch_worker_iteration_does_not_stop_the_host_and_the_next_one_runs()
    {
        int calls = 0;
        var (s, faults) = await StartAsync((method, args) =>
            method == nameof(IJobStore.ListResumableTasksAsync) && args[0] is TaskKind.Batch && Interlocked.Increment(ref calls) == 1
                ? new UnauthorizedAccessException("injected: access denied")
                : null);
        await using var _ = s;
        var worker = s.App.App.Services.GetRequiredService<BatchWorker>();
        await WaitAsync(() => worker.FailedIterations >= 1, "the fault was never hit");
        Assert.Equal(1, faults.Faults);

        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(3));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        AssertRunning(s);
    }

    [Fact]
    public async Task An_unreadable_batch_input_is_retried_without_stopping_the_host()
    {
        int calls = 0;
        // The batch route reads the file record once; the worker's read (the second call) fails once.
        var (s, faults) = await StartAsync((method, _) =>
            method == nameof(IJobStore.GetFileAsync) && Interlocked.Increment(ref calls) == 2
                ? new UnauthorizedAccessException("injected: the input file is not readable")
                : null);
        await using var _ = s;
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(2));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(1, faults.Faults);
        Assert.True(s.App.App.Services.GetRequiredService<BatchWorker>().FailedIterations >= 1);
        AssertRunning(s);
    }

    [Fact]
    public async Task A_busy_store_while_adapters_are_restored_at_start_up_does_not_stop_the_host_and_jobs_then_run()
    {
        int calls = 0;
        var (s, faults) = await StartAsync(
            (method, _) => method == nameof(IJobStore.ScanTasksAsync) && Interlocked.Increment(ref calls) == 1
                ? new JobStoreException("injected: database is locked")
                : null,
            o => o with { FineTuneExecutorFactory = _ => new ScriptedExecutor() });
        await using var _ = s;
        await WaitAsync(() => faults.Faults >= 1, "the restore never ran");

        // Restored on the next try, then the queue is worked.
        var state = s.App.State;
        string fileId = "file-ft" + Guid.NewGuid().ToString("N")[..8];
        string path = Path.Combine(state.StoreHost.FilesDirectory, fileId);
        await File.WriteAllTextAsync(path, "{\"messages\":[]}\n");
        await state.Store.AddFileAsync(new FileRecord(fileId, "default", "fine-tune", "train.jsonl", 16, new string('0', 64), path, DateTimeOffset.UtcNow));
        var created = await DurableApi.OkJsonAsync(await s.PostJsonAsync("/v1/fine_tuning/jobs", $$"""{"model":"fake","training_file":"{{fileId}}"}"""));
        string id = created.GetProperty("id").GetString()!;
        await WaitAsync(async () => (await DurableApi.GetJsonAsync(s.Http, $"/v1/fine_tuning/jobs/{id}")).GetProperty("status").GetString() == "succeeded", "the job never succeeded");
        Assert.True(calls >= 2, "the restore was not retried");
        AssertRunning(s);
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
