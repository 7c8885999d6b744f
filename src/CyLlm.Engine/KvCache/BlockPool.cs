using System.Diagnostics;

namespace CyLlm.Engine.KvCache;

/// <summary>
/// Bookkeeping of a fixed set of KV blocks: reference counts, a free list, and the prefix cache that maps the
/// hash of a full block (parent hash, its tokens, adapter, tenant salt) to the block holding it. A block whose
/// last reference is released stays cached (its contents valid) until it is evicted to serve an allocation.
/// Invariants (tested): free + used = total; a block is free, used or cached-evictable, never two of them;
/// reference counts never go negative. Not thread-safe: the scheduler owns it.
/// </summary>
public sealed class BlockPool
{
    private readonly int[] _refs;
    private readonly long[] _hashOf;          // prefix hash held by the block, 0 = none
    private readonly bool[] _hashed;
    private readonly long[] _lastUse;
    private readonly long[] _uses;
    private readonly Stack<int> _free = new();
    private readonly Dictionary<long, int> _cache = new();
    private readonly SortedSet<(long Key1, long Key2, int Block)> _evictable = new();
    private long _clock;

    public BlockPool(int blocks, EvictionPolicy policy = EvictionPolicy.Lru)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        Total = blocks;
        Policy = policy;
        _refs = new int[blocks];
        _hashOf = new long[blocks];
        _hashed = new bool[blocks];
        _lastUse = new long[blocks];
        _uses = new long[blocks];
        for (int i = blocks - 1; i >= 0; i--)
        {
            _free.Push(i);
        }
    }

    public int Total { get; }

    public EvictionPolicy Policy { get; }

    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int Used { get; private set; }

    /// <summary>Blocks not referenced: never used, or cached and evictable.</summary>
    public int Free => Total - Used;

    /// <summary>Unreferenced blocks that still hold a cached prefix.</summary>
    public int CachedEvictable => _evictable.Count;

    public long PrefixQueries { get; private set; }

    public long PrefixHits { get; private set; }

    public long Evictions { get; private set; }

    public int RefCount(BlockId b) => _refs[b.Value];

    /// <summary>Takes a block: a never-used one first, else the eviction policy's victim. Null when all are used.</summary>
    public BlockId? Allocate()
    {
        int b;
        if (_free.Count > 0)
        {
            b = _free.Pop();
        }
        else if (_evictable.Count > 0)
        {
            var victim = _evictable.Min;
            _evictable.Remove(victim);
            b = victim.Block;
            Debug.Assert(_hashed[b]);
            _cache.Remove(_hashOf[b]);
            _hashed[b] = false;
            Evictions++;
        }
        else
        {
            return null;
        }

        Debug.Assert(_refs[b] == 0);
        _refs[b] = 1;
        _uses[b] = 1;
        _lastUse[b] = ++_clock;
        Used++;
        return new BlockId(b);
    }

    /// <summary>Looks up a cached full block by prefix hash; on a hit the block gains a reference.</summary>
    public BlockId? Lookup(long hash)
    {
        PrefixQueries++;
        if (!_cache.TryGetValue(hash, out int b))
        {
            return null;
        }

        PrefixHits++;
        if (_refs[b] == 0)
        {
            _evictable.Remove(Key(b));
            Used++;
        }

        _refs[b]++;
        _uses[b]++;
        _lastUse[b] = ++_clock;
        return new BlockId(b);
    }

    /// <summary>Adds a reference to a block someone holds already: <c>n</c> &gt; 1 choices share their prompt's full
    /// blocks instead of computing them again (copy-on-write: a block is only ever written by its first owner while it
    /// is not full, and shared blocks are full).</summary>
    public void Share(BlockId b)
    {
        if (_refs[b.Value] <= 0)
        {
            throw new InvalidOperationException($"{b} is not held: only a held block can be shared");
        }

        _refs[b.Value]++;
        _uses[b.Value]++;
        _lastUse[b.Value] = ++_clock;
    }

    /// <summary>Records that <paramref name="b"/> now holds the full block with <paramref name="hash"/>.</summary>
    public void Publish(BlockId b, long hash)
    {
        Debug.Assert(_refs[b.Value] > 0);
        if (_hashed[b.Value] || _cache.ContainsKey(hash))
        {
            return; // an identical block is cached already; this one stays private
        }

        _hashed[b.Value] = true;
        _hashOf[b.Value] = hash;
        _cache[hash] = b.Value;
    }

    /// <summary>Drops one reference. A block that reaches zero becomes evictable if cached, else free.</summary>
    public void Release(BlockId b)
    {
        int i = b.Value;
        if (_refs[i] <= 0)
        {
            throw new InvalidOperationException($"{b} released more often than it was taken (double free)");
        }

        if (--_refs[i] > 0)
        {
            return;
        }

        Used--;
        _lastUse[i] = ++_clock;
        if (_hashed[i])
        {
            _evictable.Add(Key(i));
        }
        else
        {
            _free.Push(i);
        }
    }

    private (long, long, int) Key(int b) => Policy == EvictionPolicy.Lru ? (_lastUse[b], 0, b) : (_uses[b], _lastUse[b], b);
}
