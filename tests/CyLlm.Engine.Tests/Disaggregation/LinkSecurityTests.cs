using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>
/// The KV port and the bootstrap registry against peers that do not hold the workers' shared secret (security issue):
/// the handshake refuses wrong or missing secrets; frames before it — including a header announcing a 1 GiB chunk —
/// are refused before any payload is allocated; random, truncated and oversized frames leave the servers alive and
/// serving; and a registry room belongs to the connection that registered it. Runs alone: it measures the process's
/// allocations, which parallel tests would add to.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class LinkSecurityTests : IDisposable
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("a-shared-secret-of-the-workers-0123456789");

    private readonly InferenceEngine _prefillModel = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ContextTokens = 256 });
    private readonly InferenceEngine _decodeModel = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ContextTokens = 256 });

    public void Dispose()
    {
        _prefillModel.Dispose();
        _decodeModel.Dispose();
    }

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [Fact]
    public async Task Workers_with_the_same_secret_transfer_and_a_wrong_or_missing_secret_is_refused()
    {
        var options = new DisaggregationOptions { SharedSecret = Secret, BootstrapTimeout = TimeSpan.FromSeconds(5) };
        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel, options);
        int[] prompt = _prefillModel.Encode("Once upon a time, there was a little girl named Lily.");
        var request = new ServingRequest(prompt, Greedy(8));
        var prefill = pair.Prefill.PrefillAsync(new RoomId(7), request);
        var handle = await pair.Decode.GenerateAsync(new RoomId(7), request);
        Assert.Equal(8, (await handle.Completion).TokenIds.Length);
        await prefill;

        foreach (byte[] wrong in new[] { Encoding.UTF8.GetBytes("another-secret-entirely-0123456789"), Array.Empty<byte>() })
        {
            var ex = await Assert.ThrowsAsync<KvProtocolException>(async () =>
            {
                using var c = await KvConnection.ConnectAsync(pair.Prefill.Endpoint, wrong, CancellationToken.None);
            });
            Assert.Contains("shared secret", ex.Message);
        }

        await WaitUntil(() => pair.Prefill.Metrics.RejectedConnections >= 2);
    }

    [Fact]
    public async Task A_header_announcing_a_gigabyte_before_the_handshake_allocates_nothing_and_is_dropped()
    {
        var options = new DisaggregationOptions { SharedSecret = Secret };
        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel, options);
        using var registry = new BootstrapServer(IPAddress.Loopback, 0, options);
        foreach (var endpoint in new[] { pair.Prefill.Endpoint, registry.Endpoint })
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 4; i++)
            {
                using var raw = await RawAsync(endpoint);
                await raw.SendAsync(Header(KvMessageType.Chunk, 1u << 30));
                Assert.True(await ClosedAsync(raw), "the server kept a connection that announced 1 GiB before authenticating");
            }

            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated for 4 unauthenticated 1 GiB headers");
        }

        Assert.True(registry.RejectedConnections >= 4);
    }

    [Fact]
    public async Task Random_truncated_and_oversized_frames_from_strangers_leave_both_servers_serving()
    {
        var options = new DisaggregationOptions { SharedSecret = Secret, BootstrapTimeout = TimeSpan.FromSeconds(5) };
        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel, options);
        using var registry = new BootstrapServer(IPAddress.Loopback, 0, options);
        var rng = new Random(2026);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 60; i++)
        {
            var endpoint = i % 2 == 0 ? pair.Prefill.Endpoint : registry.Endpoint;
            using var raw = await RawAsync(endpoint);
            byte[] junk = (i % 4) switch
            {
                0 => RandomBytes(rng, rng.Next(1, 200)),                                            // noise
                1 => Header((KvMessageType)rng.Next(0, 256), (uint)rng.Next())[..rng.Next(1, 8)],  // truncated header
                2 => [.. Header(KvMessageType.Hello, 32), .. RandomBytes(rng, 5)],                 // truncated handshake
                _ => [.. Header(KvMessageType.Hello, (uint)rng.Next(33, int.MaxValue)), .. RandomBytes(rng, 64)], // oversized hello
            };
            try
            {
                await raw.SendAsync(junk);
                raw.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The server may already have dropped it.
            }
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated for 60 hostile connections");

        // Both still do their job for peers that hold the secret.
        using var client = new BootstrapClient(registry.Endpoint, Secret);
        await client.RegisterAsync(new RoomId(11), new KvEndpoint("127.0.0.1", 5), CancellationToken.None);
        Assert.Equal(new KvEndpoint("127.0.0.1", 5), await client.LookupAsync(new RoomId(11), CancellationToken.None));
        int[] prompt = _prefillModel.Encode("The little dog ran to the park.");
        var request = new ServingRequest(prompt, Greedy(4));
        var prefill = pair.Prefill.PrefillAsync(new RoomId(12), request);
        var handle = await pair.Decode.GenerateAsync(new RoomId(12), request);
        Assert.Equal(4, (await handle.Completion).TokenIds.Length);
        await prefill;
    }

    [Fact]
    public async Task A_registry_room_belongs_to_the_connection_that_registered_it_and_leaves_with_it()
    {
        using var server = new BootstrapServer(IPAddress.Loopback, 0, new DisaggregationOptions { SharedSecret = Secret, MaxRegisteredRooms = 3 });
        var owner = new BootstrapClient(server.Endpoint, Secret);
        using var other = new BootstrapClient(server.Endpoint, Secret);
        var room = new RoomId(0xABCDEF);
        var mine = new KvEndpoint("10.1.1.1", 7000);
        await owner.RegisterAsync(room, mine, CancellationToken.None);
        Assert.Equal(mine, await other.LookupAsync(room, CancellationToken.None));

        // Another worker can neither move the room to itself nor remove it.
        await other.RegisterAsync(room, new KvEndpoint("10.6.6.6", 6666), CancellationToken.None);
        await other.UnregisterAsync(room, CancellationToken.None);
        Assert.Equal(mine, await other.LookupAsync(room, CancellationToken.None));
        Assert.Equal(1, server.RefusedRegistrations);

        // Bounded: a fourth room is refused.
        for (ulong r = 1; r <= 3; r++)
        {
            await other.RegisterAsync(new RoomId(r), new KvEndpoint("10.0.0.9", 1), CancellationToken.None);
        }

        Assert.Null(await other.LookupAsync(new RoomId(3), CancellationToken.None));
        Assert.Equal(3, server.RoomCount);

        // The owner's connection closes: its room goes with it.
        owner.Dispose();
        await WaitUntil(() => server.RoomCount == 2);
        Assert.Null(await other.LookupAsync(room, CancellationToken.None));

        // And a stranger without the secret cannot even ask.
        using var stranger = new BootstrapClient(server.Endpoint);
        await Assert.ThrowsAsync<KvProtocolException>(() => stranger.LookupAsync(room, CancellationToken.None));
    }

    [Fact]
    public void Frame_limits_are_decided_by_type_and_handshake_state()
    {
        Assert.Equal(32, KvConnection.PayloadLimit(KvMessageType.Hello, authenticated: false));
        Assert.Equal(-1, KvConnection.PayloadLimit(KvMessageType.Chunk, authenticated: false));
        Assert.Equal(-1, KvConnection.PayloadLimit(KvMessageType.Init, authenticated: false));
        Assert.Equal(-1, KvConnection.PayloadLimit(KvMessageType.Hello, authenticated: true));
        Assert.Equal(8, KvConnection.PayloadLimit(KvMessageType.Heartbeat, authenticated: true));
        Assert.Equal(-1, KvConnection.PayloadLimit((KvMessageType)99, authenticated: true));
        Assert.True(KvConnection.PayloadLimit(KvMessageType.BootstrapRegister, authenticated: true) < 300);
    }

    private static byte[] Header(KvMessageType type, uint length)
    {
        var h = new byte[KvConnection.HeaderBytes];
        BinaryPrimitives.WriteUInt16LittleEndian(h, KvConnection.Magic);
        h[2] = KvConnection.Version;
        h[3] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), length);
        return h;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static async Task<Socket> RawAsync(KvEndpoint endpoint)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(endpoint.Host, endpoint.Port);
        return s;
    }

    /// <summary>True once the server closed the connection (reads end); it first sends its own Hello.</summary>
    private static async Task<bool> ClosedAsync(Socket s)
    {
        var buf = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (await s.ReceiveAsync(buf, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
