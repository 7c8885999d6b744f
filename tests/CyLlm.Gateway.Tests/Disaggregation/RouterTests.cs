using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// The router in the gateway: a prefill worker gateway, a decode worker gateway and a router gateway on loopback;
/// /v1/completions through the router equals co-located serving, and a failed transfer is a 502 error object.
/// </summary>
public sealed class RouterTests
{
    [Fact]
    public async Task Completions_through_the_router_equal_colocated_and_failures_are_clear_errors()
    {
        var bootstrap = new KvEndpoint("127.0.0.1", TestPorts.Reserve());
        var transfer = new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromSeconds(2), AllocationTokens = 32 };
        var worker = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1 };
        await using var prefill = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Prefill, Bootstrap = bootstrap, Transfer = transfer },
        });
        await using var decode = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Decode, Bootstrap = bootstrap, Transfer = transfer },
        });
        var routing = new DisaggregationSettings { Bootstrap = bootstrap, PrefillWorkers = [prefill.BaseUrl], DecodeWorkers = [decode.BaseUrl] };
        Assert.True(routing.IsRouter);
        await using var router = await LiveServer.StartAsync(new GatewayOptions
        {
            BackendFactory = () => new DisaggregatedBackend(
                new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), routing, TimeSpan.FromSeconds(60)),
            Disaggregation = routing,
        });

        // The prefill worker is also a co-located server: the reference output.
        string prompt = string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. ", 6));
        var body = JsonSerializer.Serialize(new { model = "stories260K", prompt, max_tokens = 24, temperature = 0 });
        string expected = await TextOf(prefill, body);
        string routed = await TextOf(router, body);
        Assert.Equal(expected, routed);

        // Worker endpoints refuse the wrong role with a clear error object.
        using (var wrong = await decode.PostJsonAsync("/internal/disaggregation/prefill", "{\"bootstrap_room\":1,\"prompt_tokens\":[1,2]}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
            Assert.Contains("not a prefill worker", await wrong.Content.ReadAsStringAsync());
        }

        // No prefill worker: its connection is refused, so the router cancels the decode worker's wait for KV at once and the
        // client gets a 502 kv_transfer_failed error object naming the prefill worker (not the bootstrap timeout).
        await prefill.DisposeAsync();
        using var failed = await router.PostJsonAsync("/v1/completions", body);
        string json = await failed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        var error = JsonDocument.Parse(json).RootElement.GetProperty("error");
        Assert.Equal(DisaggregationErrors.KvTransferFailed, error.GetProperty("code").GetString());
        Assert.StartsWith("the prefill worker http://127.0.0.1:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Fix:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<string> TextOf(LiveServer server, string body)
    {
        using var resp = await server.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

}
