using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Disaggregation;
using StackExchange.Redis;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// The same contract for every bootstrap registry: in memory, over TCP (<see cref="BootstrapServer"/> and two
/// <see cref="BootstrapClient"/>s) and in Redis (<see cref="RedisBootstrapRegistry"/>; the Redis of
/// .ci/services.sh or CYLLM_TEST_REDIS, failing without it). The prefill side registers through one handle, the decode side looks up through another.
/// </summary>
public sealed class BootstrapRegistryConformanceTests
{
    private static readonly KvEndpoint Prefill = new("10.1.2.3", 7200);

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_room_nobody_registered_is_not_found(string kind)
    {
        await using var r = await RegistryUnderTest.CreateAsync(kind);
        Assert.Null(await r.Reader.LookupAsync(new RoomId(42), CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_registered_room_is_found_by_the_other_side_until_unregistered(string kind)
    {
        await using var r = await RegistryUnderTest.CreateAsync(kind);
        var room = new RoomId(0xDEADBEEF_00000001);
        await r.Writer.RegisterAsync(room, Prefill, CancellationToken.None);
        Assert.Equal(Prefill, await r.Reader.LookupAsync(room, CancellationToken.None));
        await r.Writer.UnregisterAsync(room, CancellationToken.None);
        // The TCP registry's unregister is fire-and-forget: a lookup on the writer's connection orders after it.
        await r.Writer.LookupAsync(room, CancellationToken.None);
        Assert.Null(await r.Reader.LookupAsync(room, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Rooms_are_independent_under_concurrent_registration(string kind)
    {
        await using var r = await RegistryUnderTest.CreateAsync(kind);
        var rooms = Enumerable.Range(1, 64).Select(i => (Room: new RoomId((ulong)i * 0x9E3779B97F4A7C15UL), Endpoint: new KvEndpoint($"10.0.0.{i}", 7000 + i))).ToList();
        await Task.WhenAll(rooms.Select(x => r.Writer.RegisterAsync(x.Room, x.Endpoint, CancellationToken.None)));
        foreach (var (room, endpoint) in rooms)
        {
            Assert.Equal(endpoint, await r.Reader.LookupAsync(room, CancellationToken.None));
        }

        // Removing every other room leaves the rest.
        foreach (var (room, _) in rooms.Where((_, i) => i % 2 == 0))
        {
            await r.Writer.UnregisterAsync(room, CancellationToken.None);
        }

        await r.Writer.LookupAsync(rooms[0].Room, CancellationToken.None);
        for (int i = 0; i < rooms.Count; i++)
        {
            var found = await r.Reader.LookupAsync(rooms[i].Room, CancellationToken.None);
            Assert.Equal(i % 2 == 0 ? null : rooms[i].Endpoint, found);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_host_name_of_the_longest_allowed_length_round_trips(string kind)
    {
        await using var r = await RegistryUnderTest.CreateAsync(kind);
        var endpoint = new KvEndpoint(new string('h', 253), 65535);
        await r.Writer.RegisterAsync(new RoomId(7), endpoint, CancellationToken.None);
        Assert.Equal(endpoint, await r.Reader.LookupAsync(new RoomId(7), CancellationToken.None));
    }

    public static TheoryData<string> Kinds => RegistryUnderTest.Kinds;

    [Fact]
    public async Task Redis_entries_expire_with_the_ttl_and_are_namespaced()
    {
        await using var r = await RegistryUnderTest.CreateAsync(RegistryUnderTest.RedisKind, ttl: TimeSpan.FromSeconds(40));
        var registry = (RedisBootstrapRegistry)r.Writer;
        var room = new RoomId(0x0123456789ABCDEF);
        await registry.RegisterAsync(room, Prefill, CancellationToken.None);
        string key = registry.KeyOf(room);
        Assert.StartsWith("cyllm-test:kv:", key, StringComparison.Ordinal);
        Assert.EndsWith(":0123456789abcdef", key, StringComparison.Ordinal);
        // The TTL itself, not a wait for it: a killed prefill worker's entry lapses without anyone deleting it.
        var ttl = await r.Redis!.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(40));
        Assert.Equal("10.1.2.3:7200", (string?)await r.Redis.GetDatabase().StringGetAsync(key));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("host:99999")]
    [InlineData("host:0")]
    [InlineData(":7200")]
    [InlineData("ho st:7200")]
    [InlineData("")]
    public async Task A_malformed_redis_entry_is_not_found_and_logged(string value)
    {
        await using var r = await RegistryUnderTest.CreateAsync(RegistryUnderTest.RedisKind);
        var room = new RoomId(99);
        await r.Redis!.GetDatabase().StringSetAsync(((RedisBootstrapRegistry)r.Reader).KeyOf(room), value);
        // The decode side polls until its bootstrap timeout: every lookup is "not found", one log line says why.
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(await r.Reader.LookupAsync(room, CancellationToken.None));
        }

        Assert.Single(r.Logs!.Lines, l => l.Contains("ignored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Oversized_binary_and_wrong_type_redis_entries_are_not_found_and_logged()
    {
        await using var r = await RegistryUnderTest.CreateAsync(RegistryUnderTest.RedisKind);
        var registry = (RedisBootstrapRegistry)r.Reader;
        var db = r.Redis!.GetDatabase();
        await db.StringSetAsync(registry.KeyOf(new RoomId(1)), new string('a', 1 << 20) + ":7200");
        await db.StringSetAsync(registry.KeyOf(new RoomId(2)), new byte[] { 0xff, 0xfe, 0x3a, 0x31 });
        await db.ListRightPushAsync(registry.KeyOf(new RoomId(3)), "10.0.0.1:7200");
        for (ulong i = 1; i <= 3; i++)
        {
            Assert.Null(await registry.LookupAsync(new RoomId(i), CancellationToken.None));
        }

        Assert.Equal(3, r.Logs!.Lines.Count(l => l.Contains("ignored", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_unreachable_redis_is_an_io_error_not_a_hang()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop(); // connections are refused
        using var registry = RedisBootstrapRegistry.Connect($"127.0.0.1:{port}", TimeSpan.FromSeconds(60));
        // Each command waits for a connection up to the registry's command timeout (a worker's first request may come
        // while the connection is still being made), then fails as the registry failure both sides handle. The bound is
        // "no hang", not a latency: a registration can wait out two timeouts (connect, then the command), measured 10.0 s.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<IOException>(() => registry.LookupAsync(new RoomId(1), CancellationToken.None));
        Assert.True(clock.Elapsed < RedisBootstrapRegistry.CommandTimeout * 3, $"the lookup took {clock.Elapsed}");
        clock.Restart();
        await Assert.ThrowsAsync<IOException>(() => registry.RegisterAsync(new RoomId(1), Prefill, CancellationToken.None));
        Assert.True(clock.Elapsed < RedisBootstrapRegistry.CommandTimeout * 3, $"the registration took {clock.Elapsed}");
    }
}
