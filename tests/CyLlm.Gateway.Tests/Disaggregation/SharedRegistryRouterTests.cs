using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// Issue 17: two routers in front of the same prefill and decode workers, all meeting in one Redis bootstrap registry
/// (no router hosts a <see cref="BootstrapServer"/>). Both answer with the co-located greedy output, interleaved and
/// at once. Redis from <see cref="RegistryUnderTest.RedisAddress"/> (fails without it).
/// </summary>
public sealed class SharedRegistryRouterTests
{
    [Fact]
    public async Task Two_routers_sharing_a_redis_registry_both_equal_colocated_greedy_output()
    {
        // Other tests' registries use prefixes of their own; these workers share the default one with nobody but each
        // other, and rooms are random 64-bit ids, as in production.
        string redis = RegistryUnderTest.RedisAddress;
        var transfer = new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromSeconds(10), AllocationTokens = 32 };
        var worker = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1 };
        await using var prefill = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Prefill, BootstrapRedis = redis, Transfer = transfer },
        });
        await using var decode = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Decode, BootstrapRedis = redis, Transfer = transfer },
        });
        var routing = new DisaggregationSettings { BootstrapRedis = redis, PrefillWorkers = [prefill.BaseUrl], DecodeWorkers = [decode.BaseUrl], Transfer = transfer };
        Assert.Empty(routing.Validate());
        await using var routerA = await Router(routing);
        await using var routerB = await Router(routing);

        string[] prompts = ["Once upon a time, there was a little girl named Lily.", "The dog ran to the park and", "Tom had a red ball. One day"];
        foreach (string prompt in prompts)
        {
            string body = JsonSerializer.Serialize(new { model = "stories260K", prompt, max_tokens = 24, temperature = 0 });
            // The prefill worker is also a co-located server: the reference output.
            string expected = await TextOf(prefill, body);
            var both = await Task.WhenAll(TextOf(routerA, body), TextOf(routerB, body));
            Assert.Equal(expected, both[0]);
            Assert.Equal(expected, both[1]);
        }

        // Neither router hosts a registry: the workers met in Redis.
        Assert.Null(((DisaggregatedBackend)routerA.App.State.Model.Backend!).Bootstrap);
        Assert.Null(((DisaggregatedBackend)routerB.App.State.Model.Backend!).Bootstrap);
    }

    private static Task<LiveServer> Router(DisaggregationSettings routing) => LiveServer.StartAsync(new GatewayOptions
    {
        BackendFactory = () => new DisaggregatedBackend(
            new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), routing, TimeSpan.FromSeconds(60)),
        Disaggregation = routing,
    });

    private static async Task<string> TextOf(LiveServer server, string body)
    {
        using var resp = await server.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }
}
