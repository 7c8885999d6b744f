using System.Text;
using CyLlm.Jobs.Caching;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Response cache: TTL, size limit, isolation per database.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Response_cache_serves_until_ttl_and_evicts_oldest_past_the_size_limit() => Scenario(async () =>
    {
        var cache = new ResponseCache(Store, new ResponseCacheOptions { Ttl = TimeSpan.FromMinutes(10), MaxTotalBytes = 300, MaxEntryBytes = 200 });
        string k1 = ResponseCache.ComputeKey("m", null, "{\"temperature\":0}", "hello");
        string k2 = ResponseCache.ComputeKey("m", "adapter-x", "{\"temperature\":0}", "hello");
        string k3 = ResponseCache.ComputeKey("m", null, "{\"temperature\":0}", "bye");
        Assert.NotEqual(k1, k2);
        Assert.True(await cache.PutAsync(k1, new byte[120]));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await cache.PutAsync(k2, Encoding.UTF8.GetBytes(new string('b', 120))));
        Assert.Equal(new byte[120], await cache.TryGetAsync(k1));
        Assert.False(await cache.PutAsync(k3, new byte[201]));
        Assert.Null(await cache.TryGetAsync(k3));

        // 120 + 120 + 100 > 300: the oldest entry (k1) goes.
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await cache.PutAsync(k3, new byte[100]));
        Assert.Null(await cache.TryGetAsync(k1));
        Assert.NotNull(await cache.TryGetAsync(k2));
        var stats = await Store.GetResponseCacheStatsAsync();
        Assert.Equal(2, stats.Entries);
        Assert.Equal(220, stats.TotalBytes);

        Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await cache.TryGetAsync(k2));
        Assert.Equal(2, (await Store.GetResponseCacheStatsAsync()).ExpiredEntries);
        var purge = await Store.PurgeExpiredAsync();
        Assert.Equal(2, purge.CacheEntries);
        Assert.Equal(0, (await Store.GetResponseCacheStatsAsync()).TotalBytes);
    });

    [Fact]
    public Task Response_cache_is_shared_by_stores_on_one_database_and_isolated_across_databases() => Scenario(async () =>
    {
        string key = ResponseCache.ComputeKey("m", null, "{}", "p");
        await new ResponseCache(Store).PutAsync(key, "answer"u8.ToArray());
        await using (var same = await OpenSameDatabaseAsync())
        {
            Assert.Equal("answer"u8.ToArray(), await new ResponseCache(same).TryGetAsync(key));
        }

        await using var other = await OpenOtherDatabaseAsync();
        Assert.Null(await new ResponseCache(other).TryGetAsync(key));
        Assert.Equal(0, (await other.GetResponseCacheStatsAsync()).Entries);
    });
}
