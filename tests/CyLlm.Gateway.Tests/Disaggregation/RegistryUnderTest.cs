using System.Net;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// One bootstrap registry implementation for the conformance suite, as the workers see it: <see cref="Writer"/> is the
/// prefill worker's handle, <see cref="Reader"/> the decode worker's (two connections for the TCP and the Redis
/// registry, one object in memory).
/// </summary>
internal sealed class RegistryUnderTest : IAsyncDisposable
{
    private readonly List<IDisposable> _owned = [];
    private string? _prefix;

    private RegistryUnderTest(IBootstrapRegistry writer, IBootstrapRegistry reader)
    {
        Writer = writer;
        Reader = reader;
    }

    public IBootstrapRegistry Writer { get; }

    public IBootstrapRegistry Reader { get; }

    /// <summary>The Redis connection of the Redis registry (null for the others): tests write hostile entries with it.</summary>
    public IConnectionMultiplexer? Redis { get; private init; }

    public const string InMemory = "in-memory";
    public const string Tcp = "tcp";
    public const string RedisKind = "redis";

    public static TheoryData<string> Kinds => [InMemory, Tcp, RedisKind];

    /// <summary>The Redis server of these tests, as for the rate-limit tests: CYLLM_TEST_REDIS, else the one
    /// .ci/services.sh starts on 127.0.0.1:6390. Without it they fail, never skip.</summary>
    public static string RedisAddress => RateLimits.RedisTestServer.Address;

    public static async Task<RegistryUnderTest> CreateAsync(string kind, TimeSpan? ttl = null)
    {
        switch (kind)
        {
            case InMemory:
                var memory = new InMemoryBootstrapRegistry();
                return new RegistryUnderTest(memory, memory);
            case Tcp:
                var server = new BootstrapServer(IPAddress.Loopback, 0);
                var writer = new BootstrapClient(server.Endpoint);
                var reader = new BootstrapClient(server.Endpoint);
                var tcp = new RegistryUnderTest(writer, reader);
                tcp._owned.AddRange([reader, writer, server]);
                return tcp;
            default:
                var config = RedisRateLimitStoreConfig(RedisAddress);
                var redis = await ConnectionMultiplexer.ConnectAsync(config);
                // A prefix of its own per test: parallel tests and earlier runs never see each other's rooms.
                string prefix = $"cyllm-test:kv:{Guid.NewGuid():N}:";
                var logs = new CapturingLoggerProvider();
                var log = logs.CreateLogger("registry");
                var w = new RedisBootstrapRegistry(redis, ttl ?? TimeSpan.FromSeconds(60), prefix, log);
                var r = new RedisBootstrapRegistry(redis, ttl ?? TimeSpan.FromSeconds(60), prefix, log);
                var result = new RegistryUnderTest(w, r) { Redis = redis, Logs = logs, _prefix = prefix };
                result._owned.Add(redis);
                return result;
        }
    }

    private static ConfigurationOptions RedisRateLimitStoreConfig(string address)
    {
        var config = CyLlm.Gateway.RateLimits.RedisRateLimitStore.Configure(address, TimeSpan.FromSeconds(5));
        config.AbortOnConnectFail = true; // an unreachable test server fails the test at once with the reason
        return config;
    }

    /// <summary>The Redis registry's log lines (null for the other kinds).</summary>
    public CapturingLoggerProvider? Logs { get; private init; }

    public async ValueTask DisposeAsync()
    {
        if (Redis is not null && _prefix is not null)
        {
            // Hostile entries are written without a TTL: leave nothing behind in the shared test Redis.
            var keys = Redis.GetServers()[0].Keys(pattern: _prefix + "*").ToArray();
            if (keys.Length > 0)
            {
                await Redis.GetDatabase().KeyDeleteAsync(keys);
            }
        }

        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }
}
