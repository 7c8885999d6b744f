using CsCheck;
using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Tests;

public class BlockPoolTests
{
    [Fact]
    public void Free_plus_used_is_total_and_refcounts_stay_non_negative_under_random_operations()
    {
        // Operations: 0 allocate, 1 release a held block, 2 publish a held block, 3 look up a hash.
        Gen.Select(Gen.Int[1, 40], Gen.Int[0, 3].Array[1, 300], Gen.Int[0, 1]).Sample((total, ops, policy) =>
        {
            var pool = new BlockPool(total, (EvictionPolicy)policy);
            var held = new List<BlockId>();
            var rng = new Random(ops.Length);
            foreach (int op in ops)
            {
                switch (op)
                {
                    case 0:
                        if (pool.Allocate() is { } b)
                        {
                            held.Add(b);
                        }

                        break;
                    case 1 when held.Count > 0:
                        {
                            int i = rng.Next(held.Count);
                            pool.Release(held[i]);
                            held.RemoveAt(i);
                            break;
                        }

                    case 2 when held.Count > 0:
                        pool.Publish(held[rng.Next(held.Count)], rng.Next(1, 20));
                        break;
                    case 3:
                        if (pool.Lookup(rng.Next(1, 20)) is { } hit)
                        {
                            held.Add(hit);
                        }

                        break;
                }

                if (pool.Free + pool.Used != pool.Total || pool.Used != held.Distinct().Count() || pool.Free < 0)
                {
                    return false;
                }

                foreach (var b in held)
                {
                    if (pool.RefCount(b) != held.Count(h => h == b))
                    {
                        return false;
                    }
                }
            }

            return true;
        }, iter: 300);
    }

    [Fact]
    public void Double_free_is_rejected()
    {
        var pool = new BlockPool(2);
        var b = pool.Allocate()!.Value;
        pool.Release(b);
        Assert.Throws<InvalidOperationException>(() => pool.Release(b));
    }

    [Fact]
    public void Cached_blocks_survive_release_and_are_found_again()
    {
        var pool = new BlockPool(2);
        var b = pool.Allocate()!.Value;
        pool.Publish(b, 42);
        pool.Release(b);
        Assert.Equal(1, pool.CachedEvictable);
        Assert.Equal(b, pool.Lookup(42));
        Assert.Equal(1, pool.PrefixHits);
        Assert.Null(pool.Lookup(7));
        Assert.Equal(2, pool.PrefixQueries);
    }

    [Fact]
    public void Lru_evicts_the_least_recently_released_block()
    {
        var pool = new BlockPool(3, EvictionPolicy.Lru);
        var a = pool.Allocate()!.Value;
        var b = pool.Allocate()!.Value;
        var c = pool.Allocate()!.Value;
        pool.Publish(a, 1);
        pool.Publish(b, 2);
        pool.Publish(c, 3);
        pool.Release(b);
        pool.Release(a);
        pool.Release(c);
        Assert.Equal(b, pool.Allocate()); // released first
        Assert.Null(pool.Lookup(2));      // its hash is gone
        Assert.Equal(a, pool.Allocate());
        Assert.Equal(c, pool.Allocate());
        Assert.Equal(3, pool.Evictions);
    }

    [Fact]
    public void Lfu_evicts_the_least_used_block_then_the_oldest()
    {
        var pool = new BlockPool(3, EvictionPolicy.Lfu);
        var a = pool.Allocate()!.Value;
        var b = pool.Allocate()!.Value;
        var c = pool.Allocate()!.Value;
        pool.Publish(a, 1);
        pool.Publish(b, 2);
        pool.Publish(c, 3);
        pool.Release(a);
        pool.Release(b);
        pool.Release(c);
        // a is used twice more, c once more: b (1 use) goes first, then c (2), then a (3).
        pool.Release(pool.Lookup(1)!.Value);
        pool.Release(pool.Lookup(1)!.Value);
        pool.Release(pool.Lookup(3)!.Value);
        Assert.Equal(b, pool.Allocate());
        Assert.Equal(c, pool.Allocate());
        Assert.Equal(a, pool.Allocate());
    }
}
