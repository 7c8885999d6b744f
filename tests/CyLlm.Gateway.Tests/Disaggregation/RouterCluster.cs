using System.Net;
using System.Net.Sockets;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// A router gateway on loopback over stories260K with its workers: real prefill and decode worker gateways, or stub
/// URLs in their place. The real prefill worker is also a co-located server, the reference for equality tests.
/// </summary>
public sealed class RouterCluster : IAsyncDisposable
{
    private RouterCluster(LiveServer? prefill, LiveServer? decode, LiveServer router)
    {
        Prefill = prefill;
        Decode = decode;
        Router = router;
    }

    /// <summary>The real prefill worker, null when a stub stands in.</summary>
    public LiveServer? Prefill { get; }

    /// <summary>The real decode worker, null when a stub stands in.</summary>
    public LiveServer? Decode { get; }

    public LiveServer Router { get; }

    /// <param name="prefillUrl">A stub prefill worker's URL; null starts a real one.</param>
    /// <param name="decodeUrl">A stub decode worker's URL; null starts a real one.</param>
    public static async Task<RouterCluster> StartAsync(string? prefillUrl = null, string? decodeUrl = null, TimeSpan? bootstrapTimeout = null)
    {
        var bootstrap = new KvEndpoint("127.0.0.1", TestPorts.Reserve());
        var transfer = new DisaggregationOptions { BootstrapTimeout = bootstrapTimeout ?? TimeSpan.FromSeconds(10), AllocationTokens = 32 };
        var worker = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 1 };
        LiveServer? prefill = null;
        LiveServer? decode = null;
        if (prefillUrl is null)
        {
            prefill = await LiveServer.StartAsync(worker with
            {
                Disaggregation = new DisaggregationSettings { Role = ServeRole.Prefill, Bootstrap = bootstrap, Transfer = transfer },
            });
        }

        if (decodeUrl is null)
        {
            decode = await LiveServer.StartAsync(worker with
            {
                Disaggregation = new DisaggregationSettings { Role = ServeRole.Decode, Bootstrap = bootstrap, Transfer = transfer },
            });
        }

        var routing = new DisaggregationSettings
        {
            Bootstrap = bootstrap,
            PrefillWorkers = [prefillUrl ?? prefill!.BaseUrl],
            DecodeWorkers = [decodeUrl ?? decode!.BaseUrl],
        };
        var router = await LiveServer.StartAsync(new GatewayOptions
        {
            BackendFactory = () => new DisaggregatedBackend(
                new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), routing, TimeSpan.FromSeconds(60)),
            Disaggregation = routing,
        });
        return new RouterCluster(prefill, decode, router);
    }

    public async ValueTask DisposeAsync()
    {
        await Router.DisposeAsync();
        if (Decode is not null)
        {
            await Decode.DisposeAsync();
        }

        if (Prefill is not null)
        {
            await Prefill.DisposeAsync();
        }
    }

}
