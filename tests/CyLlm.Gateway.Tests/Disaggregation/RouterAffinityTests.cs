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
/// A router over two prefill and two decode workers sends a repeated long prompt to the prefill worker that holds its
/// prefix, so its repeats are prefix-cache hits there (round-robin would alternate and split the prompt's blocks over
/// both workers' caches). Read from the workers' own serving status (the /status counters).
/// </summary>
public sealed class RouterAffinityTests
{

    [Fact]
    public async Task A_repeated_long_prompt_hits_the_prefix_cache_every_time()
    {
        var bootstrap = new KvEndpoint("127.0.0.1", TestPorts.Reserve());
        var transfer = new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromSeconds(10), AllocationTokens = 32 };
        var worker = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1 };
        var servers = new List<LiveServer>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                servers.Add(await LiveServer.StartAsync(worker with { Disaggregation = new DisaggregationSettings { Role = ServeRole.Prefill, Bootstrap = bootstrap, Transfer = transfer } }));
                servers.Add(await LiveServer.StartAsync(worker with { Disaggregation = new DisaggregationSettings { Role = ServeRole.Decode, Bootstrap = bootstrap, Transfer = transfer } }));
            }

            var routing = new DisaggregationSettings
            {
                Bootstrap = bootstrap,
                PrefillWorkers = [servers[0].BaseUrl, servers[2].BaseUrl],
                DecodeWorkers = [servers[1].BaseUrl, servers[3].BaseUrl],
            };
            await using var router = await LiveServer.StartAsync(new GatewayOptions
            {
                BackendFactory = () => new DisaggregatedBackend(
                    new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), routing, TimeSpan.FromSeconds(60)),
                Disaggregation = routing,
            });

            string prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a little girl named Lily who loved to play in the park.", 6));
            string body = JsonSerializer.Serialize(new { model = "stories260K", prompt, max_tokens = 4, temperature = 0 });
            for (int i = 0; i < 4; i++)
            {
                using var resp = await router.PostJsonAsync("/v1/completions", body);
                string json = await resp.Content.ReadAsStringAsync();
                Assert.True(resp.IsSuccessStatusCode, json);
            }

            var status = new[] { servers[0], servers[2] }.Select(s => s.App.State.Model.Backend!.Status!).ToArray();
            string seen = string.Join("; ", status.Select(s => $"queries {s.PrefixQueries} hits {s.PrefixHits}"));
            var used = Assert.Single(status, s => s.PrefixQueries > 0); // every repeat went to one prefill worker
            // Three of the four prefills found the prompt's blocks already there.
            Assert.True(used.PrefixHits * 4 >= used.PrefixQueries * 2, seen);
        }
        finally
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }
        }
    }
}
