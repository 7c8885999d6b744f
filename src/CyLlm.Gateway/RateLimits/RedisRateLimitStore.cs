using System.Diagnostics;
using StackExchange.Redis;

namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// Sliding-window limits shared by every gateway replica through one Redis server: each admission is one atomic
/// Lua script (<see cref="RedisRateLimitScripts"/>). Time comes from the caller's <see cref="TimeProvider"/> (replica
/// clocks should agree within a few ms; skew shifts a window edge by the skew, never the count). Redis failures and
/// timeouts surface as <see cref="RateLimitStoreException"/>; the connection keeps retrying in the background.
/// </summary>
public sealed class RedisRateLimitStore : IRateLimitStore
{
    private readonly ConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly long _windowMs;

    private RedisRateLimitStore(ConnectionMultiplexer redis, TimeProvider time, TimeSpan window, string prefix)
    {
        _redis = redis;
        _time = time;
        Window = window;
        _windowMs = (long)window.TotalMilliseconds;
        _prefix = prefix;
    }

    public TimeSpan Window { get; }

    /// <summary>Connects to <paramref name="address"/> (HOST:PORT, a StackExchange.Redis configuration string with
    /// password and TLS, or a redis:// / rediss:// URL: <see cref="RedisAddress"/>). Does not fail when Redis is down:
    /// the first admissions then throw <see cref="RateLimitStoreException"/> until it comes up.</summary>
    public static RedisRateLimitStore Connect(string address, TimeProvider time, TimeSpan window, string prefix = "cyllm:rl:", TimeSpan? timeout = null)
    {
        Debug.Assert(window > TimeSpan.Zero, "window must be positive");
        return new RedisRateLimitStore(ConnectionMultiplexer.Connect(Configure(address, timeout)), time, window, prefix);
    }

    /// <summary>The connection settings of <paramref name="address"/> with the limiter's own failure behaviour.</summary>
    public static ConfigurationOptions Configure(string address, TimeSpan? timeout = null)
    {
        int ms = (int)(timeout ?? TimeSpan.FromSeconds(2)).TotalMilliseconds;
        var config = RedisAddress.Parse(address);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = ms;
        config.SyncTimeout = ms;
        config.AsyncTimeout = ms;
        config.ConnectRetry = 1;
        // While disconnected, fail at once (the limiter then fails open or closed) instead of queueing commands.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        return config;
    }

    public async ValueTask<RateLimitDecision> AcquireAsync(IReadOnlyList<RateLimitBucket> buckets, string entryId, CancellationToken cancellationToken = default)
    {
        var keys = new RedisKey[buckets.Count * 3];
        var args = new RedisValue[3 + (buckets.Count * 2)];
        args[0] = _time.GetUtcNow().ToUnixTimeMilliseconds();
        args[1] = _windowMs;
        args[2] = entryId;
        for (int i = 0; i < buckets.Count; i++)
        {
            Keys(buckets[i].Key, keys.AsSpan(i * 3, 3));
            args[3 + (2 * i)] = buckets[i].Limit;
            args[4 + (2 * i)] = buckets[i].Cost;
        }

        var raw = await RunAsync(RedisRateLimitScripts.Acquire, keys, args);
        var r = (RedisResult[])raw!;
        Debug.Assert(r.Length == 1 + (3 * buckets.Count), "script returns 1 + 3 values per bucket");
        var states = new RateLimitBucketState[buckets.Count];
        for (int i = 0; i < buckets.Count; i++)
        {
            long used = (long)r[1 + (3 * i)];
            long reset = (long)r[2 + (3 * i)];
            long retry = (long)r[3 + (3 * i)];
            states[i] = new RateLimitBucketState(buckets[i].Limit, used, TimeSpan.FromMilliseconds(reset), retry < 0 ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(retry));
        }

        return new RateLimitDecision((long)r[0] == 1, states);
    }

    public async ValueTask AdjustAsync(string bucketKey, string entryId, long cost, CancellationToken cancellationToken = default)
    {
        var keys = new RedisKey[3];
        Keys(bucketKey, keys);
        await RunAsync(RedisRateLimitScripts.Adjust, keys, [entryId, cost]);
    }

    private async Task<RedisResult> RunAsync(string script, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await _redis.GetDatabase().ScriptEvaluateAsync(script, keys, args);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new RateLimitStoreException($"the rate-limit store (Redis at {string.Join(",", _redis.GetEndPoints().Select(p => p.ToString()))}) is unavailable: {e.Message}", e);
        }
    }

    private void Keys(string bucket, Span<RedisKey> into)
    {
        string b = _prefix + bucket;
        into[0] = b + ":z";
        into[1] = b + ":h";
        into[2] = b + ":t";
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
