using CsCheck;
using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.RateLimits;

public sealed class InMemoryRateLimitStoreTests : RateLimitStoreContract
{
    protected override Task<IRateLimitStore> Create(ManualTimeProvider time) => Task.FromResult<IRateLimitStore>(new InMemoryRateLimitStore(time, Window));

    [Fact]
    public async Task Idle_buckets_are_dropped_after_a_window()
    {
        var time = new ManualTimeProvider();
        var store = new InMemoryRateLimitStore(time, Window);
        for (int i = 0; i < 50; i++)
        {
            await store.AcquireAsync([new RateLimitBucket("k" + i, 5, 1)], "e");
        }

        Assert.Equal(50, store.BucketCount);
        time.Advance(Window + Window);
        await store.AcquireAsync([new RateLimitBucket("other", 5, 1)], "e");
        Assert.Equal(1, store.BucketCount);
    }

    [Fact]
    public void Admissions_in_any_window_never_exceed_the_limit_and_match_a_reference_count()
    {
        // Random arrival gaps and costs: the store admits exactly what a brute-force sliding log would.
        Gen.Select(Gen.Int[1, 20], Gen.Select(Gen.Int[0, 30_000], Gen.Int[1, 5]).Array[1, 80]).Sample((limit, arrivals) =>
        {
            var time = new ManualTimeProvider();
            var store = new InMemoryRateLimitStore(time, Window);
            var log = new List<(DateTimeOffset At, int Cost)>();
            foreach (var (gapMs, cost) in arrivals)
            {
                time.Advance(TimeSpan.FromMilliseconds(gapMs));
                var now = time.GetUtcNow();
                long inWindow = log.Where(e => e.At + Window > now).Sum(e => (long)e.Cost);
                bool expected = inWindow + cost <= limit;
                var d = store.AcquireAsync([new RateLimitBucket("k", limit, cost)], Guid.NewGuid().ToString("N")).AsTask().Result;
                if (d.Admitted != expected)
                {
                    return false;
                }

                if (d.Admitted)
                {
                    log.Add((now, cost));
                }
            }

            return true;
        }, iter: 300);
    }
}
