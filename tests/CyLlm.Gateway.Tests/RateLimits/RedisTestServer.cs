using StackExchange.Redis;

namespace CyLlm.Gateway.Tests.RateLimits;

/// <summary>
/// The Redis server the Redis rate-limit tests run against: <c>CYLLM_TEST_REDIS</c> (HOST:PORT) or the one
/// .ci/services.sh starts on 127.0.0.1:6390. An unreachable server FAILS the tests with a clear message — never a
/// skip, so a CI run without Redis cannot pass silently (the same policy as the PostgreSQL tests).
/// </summary>
internal static class RedisTestServer
{
    public const string DefaultAddress = "127.0.0.1:6390";

    public static string Address =>
        Environment.GetEnvironmentVariable("CYLLM_TEST_REDIS") is { Length: > 0 } a ? a : DefaultAddress;

    // One probe per test run: when the server is down every test fails at once instead of each timing out.
    private static readonly Lazy<Task<string?>> Probe = new(ProbeAsync);

    public static async Task EnsureReachableAsync()
    {
        if (await Probe.Value is { } problem)
        {
            bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            throw new InvalidOperationException(
                $"The Redis rate-limit tests need a Redis server at {Address} and cannot reach it ({problem}). "
                + "Run `bash .ci/services.sh` (installs and starts one on port 6390) or set CYLLM_TEST_REDIS=HOST:PORT."
                + (ci ? " CI=true: this is a test failure, never a skip." : ""));
        }
    }

    private static async Task<string?> ProbeAsync()
    {
        try
        {
            var config = new ConfigurationOptions { AbortOnConnectFail = true, ConnectTimeout = 3000 };
            config.EndPoints.Add(Address);
            await using var c = await ConnectionMultiplexer.ConnectAsync(config);
            await c.GetDatabase().PingAsync();
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ArgumentException)
        {
            return e.Message;
        }
    }
}
