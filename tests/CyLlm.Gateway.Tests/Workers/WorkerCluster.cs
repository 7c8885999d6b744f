using CyLlm.Engine;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>
/// A gateway on loopback serving stories260K through remote engine workers: real co-located worker gateways
/// (<see cref="Workers"/>, each also the reference for equality tests) or the URLs of stubs.
/// </summary>
public sealed class WorkerCluster : IAsyncDisposable
{
    private WorkerCluster(IReadOnlyList<LiveServer> workers, LiveServer gateway)
    {
        Workers = workers;
        Gateway = gateway;
    }

    public IReadOnlyList<LiveServer> Workers { get; }

    public LiveServer Gateway { get; }

    public RemoteEngineBackend Backend => (RemoteEngineBackend)Gateway.App.State.RequireBackend();

    /// <param name="workers">Real stories260K workers to start.</param>
    /// <param name="extraUrls">Stub or dead workers' URLs added after the real ones.</param>
    public static async Task<WorkerCluster> StartAsync(int workers = 2, IReadOnlyList<string>? extraUrls = null, TimeSpan? heartbeat = null)
    {
        var started = new List<LiveServer>();
        for (int i = 0; i < workers; i++)
        {
            started.Add(await LiveServer.StartAsync(new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1 }));
        }

        var settings = new WorkerSettings
        {
            Urls = [.. started.Select(w => w.BaseUrl), .. extraUrls ?? []],
            HeartbeatInterval = heartbeat ?? TimeSpan.FromMilliseconds(500),
        };
        var gateway = await LiveServer.StartAsync(new GatewayOptions
        {
            BackendFactory = () => new RemoteEngineBackend(
                new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), settings, TimeSpan.FromSeconds(60)),
        });
        return new WorkerCluster(started, gateway);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var w in Workers)
        {
            await w.DisposeAsync();
        }
    }
}
