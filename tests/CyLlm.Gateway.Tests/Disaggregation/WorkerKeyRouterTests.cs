using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>Workers with keys on serve a router that sends a worker-scope key (--worker-api-key) and refuse an
/// inference key on their internal routes.</summary>
public sealed class WorkerKeyRouterTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("cyllm-gw-workerkey-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_router_sending_a_worker_key_serves_through_workers_that_require_one()
    {
        var bootstrap = new KvEndpoint("127.0.0.1", TestPorts.Reserve());
        var transfer = new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromSeconds(10), AllocationTokens = 32 };
        // Both workers use one store (as replicas on one database do), so one key is valid on both.
        var worker = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1, DataDirectory = _data };
        await using var prefill = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Prefill, Bootstrap = bootstrap, Transfer = transfer },
        }, auth: true);
        await using var decode = await LiveServer.StartAsync(worker with
        {
            Disaggregation = new DisaggregationSettings { Role = ServeRole.Decode, Bootstrap = bootstrap, Transfer = transfer },
        }, auth: true);
        var keys = new ApiKeyService(prefill.App.State.Store, TimeProvider.System);
        var workerKey = await keys.CreateAsync(new ApiKeySpec("default", [AuthScopes.Worker], [], null), createTenant: true);
        var inferenceKey = await keys.CreateAsync(new ApiKeySpec("default", [AuthScopes.Inference], [], null), createTenant: true);

        var routing = new DisaggregationSettings
        {
            Bootstrap = bootstrap,
            PrefillWorkers = [prefill.BaseUrl],
            DecodeWorkers = [decode.BaseUrl],
            WorkerApiKey = workerKey.Secret,
        };
        await using var router = await LiveServer.StartAsync(new GatewayOptions
        {
            BackendFactory = () => new DisaggregatedBackend(
                new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), routing, TimeSpan.FromSeconds(60)),
            Disaggregation = routing,
        });

        var body = JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 8, temperature = 0 });
        using var resp = await router.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, json);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));

        // An inference key of the same tenant does not reach a worker's internal route.
        using var direct = new HttpRequestMessage(HttpMethod.Post, "/internal/disaggregation/decode")
        {
            Content = new StringContent("""{"bootstrap_room":7,"prompt_tokens":[1,2],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json"),
        };
        direct.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", inferenceKey.Secret);
        await ErrorAssert.IsAsync(await decode.Http.SendAsync(direct), 403, "insufficient_scope");
    }

}
