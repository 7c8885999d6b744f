using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.RateLimits;

/// <summary>
/// The sliding-window behaviour every <see cref="IRateLimitStore"/> must show, run against the in-memory store and
/// against Redis. <see cref="Create"/> gives a store on a shared clock with a one-minute window and fresh keys.
/// </summary>
public abstract class RateLimitStoreContract
{
    protected static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    protected abstract Task<IRateLimitStore> Create(ManualTimeProvider time);

    /// <summary>A bucket key no other test (or earlier run on a shared Redis) uses.</summary>
    protected static string Fresh(string name) => name + ":" + Guid.NewGuid().ToString("N")[..12];

    private static RateLimitBucket[] One(string key, long limit, long cost = 1) => [new RateLimitBucket(key, limit, cost)];

    [Fact]
    public async Task Exactly_N_are_admitted_per_window_the_next_is_refused_and_admitted_again_after_the_window_slides()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("k");
        const int n = 5;
        for (int i = 0; i < n; i++)
        {
            var d = await store.AcquireAsync(One(key, n), Guid.NewGuid().ToString("N"));
            Assert.True(d.Admitted, $"request {i + 1} of {n}");
            Assert.Equal(n - i - 1, d.States[0].Remaining);
            time.Advance(TimeSpan.FromSeconds(10));
        }

        // t = 50 s: the window holds entries at 0, 10, 20, 30, 40 s.
        var refused = await store.AcquireAsync(One(key, n), "x1");
        Assert.False(refused.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.States[0].RetryAfter);
        Assert.Equal(0, refused.States[0].Remaining);

        // 1 ms before the first entry leaves the window: still refused.
        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        var still = await store.AcquireAsync(One(key, n), "x2");
        Assert.False(still.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(1), still.States[0].RetryAfter);

        // t = 60 s: the entry of t = 0 expired, exactly one slot is free.
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True((await store.AcquireAsync(One(key, n), "y1")).Admitted);
        Assert.False((await store.AcquireAsync(One(key, n), "y2")).Admitted);
    }

    [Fact]
    public async Task Reset_is_the_time_until_the_newest_entry_leaves_the_window()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("r");
        await store.AcquireAsync(One(key, 10), "a");
        time.Advance(TimeSpan.FromSeconds(15));
        var d = await store.AcquireAsync(One(key, 10), "b");
        Assert.Equal(Window, d.States[0].Reset);
        Assert.Equal(2, d.States[0].Used);
    }

    [Fact]
    public async Task Weighted_costs_sum_and_a_cost_above_the_limit_is_refused_for_good()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("tok");
        Assert.True((await store.AcquireAsync(One(key, 1000, 600), "a")).Admitted);
        var d = await store.AcquireAsync(One(key, 1000, 500), "b");
        Assert.False(d.Admitted);
        Assert.Equal(Window, d.States[0].RetryAfter);
        Assert.True((await store.AcquireAsync(One(key, 1000, 400), "c")).Admitted);
        var tooBig = await store.AcquireAsync(One(Fresh("tok"), 1000, 1001), "d");
        Assert.False(tooBig.Admitted);
        Assert.Equal(TimeSpan.MaxValue, tooBig.States[0].RetryAfter);
    }

    [Fact]
    public async Task Adjust_replaces_the_estimate_with_the_actual_usage()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("adj");
        Assert.True((await store.AcquireAsync(One(key, 1000, 900), "est")).Admitted);
        Assert.False((await store.AcquireAsync(One(key, 1000, 200), "no")).Admitted);
        await store.AdjustAsync(key, "est", 100);
        var d = await store.AcquireAsync(One(key, 1000, 200), "yes");
        Assert.True(d.Admitted);
        Assert.Equal(300, d.States[0].Used);

        // Once the entry left the window an adjustment changes nothing.
        time.Advance(Window);
        await store.AdjustAsync(key, "est", 5000);
        Assert.Equal(0, (await store.AcquireAsync(One(key, 1000, 0), "probe")).States[0].Used);
    }

    [Fact]
    public async Task A_multi_bucket_admission_is_all_or_nothing()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("key"), tenant = Fresh("tenant");
        // The tenant allows 3, the key 2: the third request fails on the key and must not charge the tenant.
        for (int i = 0; i < 2; i++)
        {
            Assert.True((await store.AcquireAsync([new(key, 2, 1), new(tenant, 3, 1)], "e" + i)).Admitted);
        }

        var d = await store.AcquireAsync([new(key, 2, 1), new(tenant, 3, 1)], "e2");
        Assert.False(d.Admitted);
        Assert.True(d.States[0].Exceeded);
        Assert.False(d.States[1].Exceeded);
        Assert.Equal(2, d.States[1].Used);

        // Another key of the same tenant still gets the tenant's last slot, then the tenant is full.
        Assert.True((await store.AcquireAsync([new(Fresh("key"), 2, 1), new(tenant, 3, 1)], "o1")).Admitted);
        var full = await store.AcquireAsync([new(Fresh("key"), 2, 1), new(tenant, 3, 1)], "o2");
        Assert.False(full.Admitted);
        Assert.True(full.States[1].Exceeded);
    }

    [Fact]
    public async Task Concurrent_hammering_never_admits_more_than_the_limit()
    {
        var time = new ManualTimeProvider();
        await using var store = await Create(time);
        string key = Fresh("hammer"), tenant = Fresh("t");
        const int limit = 37;
        int admitted = 0;
        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var d = await store.AcquireAsync([new(key, limit, 1), new(tenant, 1000, 3)], "h" + i, ct);
            if (d.Admitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });
        Assert.Equal(limit, admitted);
        var probe = await store.AcquireAsync([new(key, limit, 0), new(tenant, 1000, 0)], "probe");
        Assert.Equal(limit, probe.States[0].Used);
        Assert.Equal(3 * limit, probe.States[1].Used);
    }
}
