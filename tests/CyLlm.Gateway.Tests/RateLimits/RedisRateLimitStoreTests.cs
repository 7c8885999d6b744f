using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.RateLimits;

/// <summary>The sliding-window contract against a real redis-server, plus what only a shared store can show:
/// two gateway replicas (two stores, two connections) share one limit exactly.</summary>
public sealed class RedisRateLimitStoreTests : RateLimitStoreContract
{
    protected override async Task<IRateLimitStore> Create(ManualTimeProvider time)
    {
        await RedisTestServer.EnsureReachableAsync();
        // A generous connect timeout: under a loaded CI machine (every test project at once on 2 cores) the first
        // connection took longer than the limiter's 2 s default, and with fail-fast the first admission then failed.
        // The contract is about the algorithm, not about connecting under load.
        return RedisRateLimitStore.Connect(RedisTestServer.Address, time, Window, prefix: "cyllm:test:", timeout: TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Two_replicas_on_one_Redis_share_the_limit_exactly()
    {
        var time = new ManualTimeProvider();
        await using var a = await Create(time);
        await using var b = await Create(time);
        string key = Fresh("shared");
        const int limit = 10;
        int admitted = 0;
        for (int i = 0; i < 30; i++)
        {
            var store = i % 2 == 0 ? a : b;
            if ((await store.AcquireAsync([new RateLimitBucket(key, limit, 1)], "r" + i)).Admitted)
            {
                admitted++;
            }
        }

        Assert.Equal(limit, admitted);
        time.Advance(Window);
        Assert.True((await b.AcquireAsync([new RateLimitBucket(key, limit, 1)], "later")).Admitted);
    }

    [Fact]
    public async Task Two_replicas_hammering_concurrently_never_over_admit()
    {
        var time = new ManualTimeProvider();
        await using var a = await Create(time);
        await using var b = await Create(time);
        string key = Fresh("hammer2");
        const int limit = 25;
        int admitted = 0;
        await Parallel.ForAsync(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, ct) =>
        {
            var store = i % 2 == 0 ? a : b;
            if ((await store.AcquireAsync([new RateLimitBucket(key, limit, 1)], "h" + i, ct)).Admitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });
        Assert.Equal(limit, admitted);
    }

    [Fact]
    public async Task An_unreachable_Redis_is_a_RateLimitStoreException_not_a_hang()
    {
        await using var store = RedisRateLimitStore.Connect("127.0.0.1:1", TimeProvider.System, Window, timeout: TimeSpan.FromMilliseconds(300));
        var e = await Assert.ThrowsAsync<RateLimitStoreException>(() => store.AcquireAsync([new RateLimitBucket("k", 5, 1)], "e").AsTask());
        Assert.Contains("unavailable", e.Message);
    }
}
