using System.Collections;
using System.Text.Json;
using CyLlm.Gateway.Configuration;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Batches;

/// <summary><c>Gateway:BatchConcurrency</c>: the setting, its validation, and the batch worker running that many lines at once.</summary>
public sealed class BatchConcurrencyTests
{
    private static readonly GatewayOptions Defaults = new() { BackendFactory = () => new FakeBackend() };

    [Fact]
    public void BatchConcurrency_is_a_setting_with_default_8_and_a_range_of_1_to_256()
    {
        Assert.Equal(8, Defaults.BatchConcurrency);
        var fromEnv = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__BatchConcurrency"] = "32" });
        Assert.Empty(fromEnv.Errors);
        Assert.Equal(32, fromEnv.Options.BatchConcurrency);

        foreach (string bad in new[] { "0", "257" })
        {
            var r = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__BatchConcurrency"] = bad });
            Assert.Contains($"Gateway:BatchConcurrency must be 1 to 256 (got {bad})", Assert.Single(r.Errors));
        }

        var notNumber = GatewayConfiguration.Load(Defaults, null, environment: new Hashtable { ["CYLLM_Gateway__BatchConcurrency"] = "many" });
        Assert.Contains("Gateway:BatchConcurrency", Assert.Single(notNumber.Errors));
    }

    [Fact]
    public async Task The_batch_worker_keeps_BatchConcurrency_lines_in_flight_and_writes_them_in_input_order()
    {
        var backend = new PermitBackend(initialPermits: 0);
        await using var s = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend, BatchConcurrency = 3 });
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(7));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;

        // Three lines in flight: one in the engine waiting for a permit, two queued behind it (the engine takes one at a
        // time). One line at a time would never queue a second.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (backend.Entered < 1 || s.App.State.Model.Backend!.Waiting < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch never had three lines in flight");
            await Task.Delay(10);
        }

        Assert.Equal(1, backend.Entered);
        Assert.Equal(2, s.App.State.Model.Backend!.Waiting);
        Assert.Equal(0, backend.Generated);
        backend.Release(100);
        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(7, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(7, backend.Generated);
        var ids = (await DurableApi.ContentAsync(s.Http, done.GetProperty("output_file_id").GetString()!))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"req-{i}"), ids);
    }
}
