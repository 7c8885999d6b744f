using System.Net;
using System.Net.Sockets;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>
/// A prefill "peer" that accepts the connection and then says nothing (a hung process, not a closed socket): only the
/// heartbeat limit can fail the room. Then the peer is remembered and the next room with it fails fast.
/// </summary>
public sealed class SilentPeerTests : IDisposable
{
    private readonly InferenceEngine _model = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ContextTokens = 512 });

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task A_silent_peer_fails_its_rooms_by_heartbeat_and_is_then_failed_fast()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<Socket>();
        var accept = Task.Run(async () =>
        {
            while (true)
            {
                var s = await silent.AcceptSocketAsync();
                lock (held)
                {
                    held.Add(s); // keep it open, read nothing, write nothing
                }
            }
        });
        var registry = new InMemoryBootstrapRegistry();
        var peer = new KvEndpoint("127.0.0.1", ((IPEndPoint)silent.LocalEndpoint).Port);
        await registry.RegisterAsync(new RoomId(1), peer, default);
        await registry.RegisterAsync(new RoomId(2), peer, default);
        using var serving = new ServingEngine(_model, new ServingOptions { KvCacheBytes = 8 << 20 });
        var options = new DisaggregationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50), MissedHeartbeats = 3, AllocationTokens = 32 };
        await using var decode = new DecodeClient(serving, registry, options);
        var prompt = _model.Encode("Once upon a time, there was a little girl named Lily who loved to play in the park with her dog.");
        var request = new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 4 });

        var first = await Assert.ThrowsAsync<KvTransferException>(() => decode.GenerateAsync(new RoomId(1), request));
        Assert.Equal(TransferFailure.HeartbeatTimeout, first.Reason);
        var second = await Assert.ThrowsAsync<KvTransferException>(() => decode.GenerateAsync(new RoomId(2), request));
        Assert.Equal(TransferFailure.PeerKnownFailed, second.Reason);
        Assert.Equal(2, decode.Metrics.Failures);
        Assert.Equal(0, decode.ActiveRooms);
        for (int i = 0; i < 200 && serving.UsedBlocks > 0; i++)
        {
            await Task.Delay(10); // the loop publishes its gauge between steps
        }

        Assert.Equal(0, serving.UsedBlocks);
        silent.Stop();
        lock (held)
        {
            held.ForEach(s => s.Dispose());
        }

        _ = accept;
    }
}
