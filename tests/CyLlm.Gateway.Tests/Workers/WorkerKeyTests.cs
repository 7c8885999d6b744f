using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>A worker with keys on serves a gateway that sends a worker-scope key; an inference key cannot reach its
/// /internal/workers routes, and a gateway with the wrong key gets a clear 502, not the worker's 401.</summary>
public sealed class WorkerKeyTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("cyllm-gw-engineworker-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task The_gateway_serves_through_a_worker_that_requires_a_worker_key()
    {
        await using var worker = await LiveServer.StartAsync(new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1, DataDirectory = _data }, auth: true);
        var keys = new ApiKeyService(worker.App.State.Store, TimeProvider.System);
        var workerKey = await keys.CreateAsync(new ApiKeySpec("default", [AuthScopes.Worker], [], null), createTenant: true);
        var inferenceKey = await keys.CreateAsync(new ApiKeySpec("default", [AuthScopes.Inference], [], null), createTenant: true);

        await using var good = await Gateway(worker.BaseUrl, workerKey.Secret);
        var body = JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 8, temperature = 0 });
        using (var resp = await good.PostJsonAsync("/v1/completions", body))
        {
            Assert.True(resp.StatusCode == HttpStatusCode.OK, await resp.Content.ReadAsStringAsync());
        }

        // An inference key does not reach the worker routes; the worker key reaches nothing else.
        using (var direct = new HttpRequestMessage(HttpMethod.Get, "/internal/workers/status"))
        {
            direct.Headers.Authorization = new AuthenticationHeaderValue("Bearer", inferenceKey.Secret);
            await ErrorAssert.IsAsync(await worker.Http.SendAsync(direct), 403, "insufficient_scope");
        }

        using (var publicRoute = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") })
        {
            publicRoute.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workerKey.Secret);
            await ErrorAssert.IsAsync(await worker.Http.SendAsync(publicRoute), 403, "insufficient_scope");
        }

        // A gateway with an inference key: the worker's 403 becomes a 502 naming the key, not a client auth error.
        await using var bad = await Gateway(worker.BaseUrl, inferenceKey.Secret);
        using (var resp = await bad.PostJsonAsync("/v1/completions", body))
        {
            var error = await ErrorAssert.IsAsync(resp, 502, WorkerErrors.WorkerFailed);
            Assert.Contains("--worker-api-key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    private static Task<LiveServer> Gateway(string workerUrl, string key) => LiveServer.StartAsync(new GatewayOptions
    {
        BackendFactory = () => new RemoteEngineBackend(
            new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"),
            new WorkerSettings { Urls = [workerUrl], ApiKey = key, HeartbeatInterval = TimeSpan.FromMinutes(1) },
            TimeSpan.FromSeconds(60)),
    });
}
