using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.KvCache;

/// <summary>
/// The paged KV cache of a serving engine, as vLLM v1's KV cache manager: the block memory
/// (<see cref="PagedKvStorage"/>), the block pool with its reference counts and eviction, and the prefix-cache hash
/// chain — finding a prompt's cached full blocks (attach), registering blocks as they fill (publish), and copying
/// blocks in and out for disaggregated transfers. Pool bookkeeping belongs to the engine's loop thread; block memory
/// may be read and written from any thread while its block has exactly one owner (a reservation or an export).
/// </summary>
internal sealed class KvCacheManager : IDisposable
{
    private readonly bool _prefixCaching;
    private readonly int _layers;
    private readonly int _slabBytes; // one layer's keys (or values) of one block: blockTokens rows of the cache type

    public KvCacheManager(int layers, int kvDim, int blockTokens, int blocks, KvCacheType type, EvictionPolicy eviction, bool prefixCaching)
    {
        BlockTokens = blockTokens;
        _prefixCaching = prefixCaching;
        BlockBytes = PagedKvStorage.BlockBytes(layers, kvDim, blockTokens, type);
        _layers = layers;
        _slabBytes = blockTokens * KvCacheTypeInfo.RowBytes(type, kvDim);
        Storage = new PagedKvStorage(layers, kvDim, blockTokens, blocks, type);
        Pool = new BlockPool(blocks, eviction);
    }

    /// <summary>Block memory: [layer][block] slabs of keys and values (see <see cref="PagedKvStorage"/>).</summary>
    public PagedKvStorage Storage { get; }

    /// <summary>Free, used and cached blocks; the scheduler allocates and releases through it.</summary>
    public BlockPool Pool { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockTokens { get; }

    /// <summary>Bytes of one block, all layers, keys and values.</summary>
    public long BlockBytes { get; }

    /// <summary>
    /// Attaches every cached full block of the prompt, leaving at least one token to compute (its logits are the first
    /// token's). Blocks are looked up along the hash chain (parent hash, the block's tokens, adapter, tenant salt) and
    /// stop at the first miss. Returns the number of blocks looked up and found.
    /// </summary>
    public (int Queries, int Hits) AttachCachedPrefix(SequenceState s)
    {
        if (!_prefixCaching || s.Request.PromptLogprobs is not null)
        {
            return (0, 0); // prompt logprobs need every prompt position's logits: no cached blocks
        }

        int full = (s.PromptLength - 1) / BlockTokens;
        long parent = 0;
        int queries = 0, hits = 0;
        for (int b = 0; b < full; b++)
        {
            long h = BlockHash(s, b, parent);
            queries++;
            var hit = Pool.Lookup(h);
            if (hit is null)
            {
                break;
            }

            hits++;
            s.Blocks.Add(hit.Value);
            s.BlockHashes.Add(h);
            s.Computed += BlockTokens;
            parent = h;
        }

        s.CachedTokens = s.Computed;
        return (queries, hits);
    }

    /// <summary>Registers the sequence's newly completed full blocks in the prefix cache.</summary>
    public void PublishFullBlocks(SequenceState s)
    {
        if (!_prefixCaching)
        {
            return;
        }

        int full = s.Computed / BlockTokens;
        while (s.BlockHashes.Count < full)
        {
            int b = s.BlockHashes.Count;
            long h = BlockHash(s, b, b == 0 ? 0 : s.BlockHashes[b - 1]);
            s.BlockHashes.Add(h);
            Pool.Publish(s.Blocks[b], h);
        }
    }

    /// <summary>The prefix-cache key of the sequence's full block <paramref name="b"/>: chained over its parent's hash, its
    /// tokens, the adapter and the tenant's salt.</summary>
    private long BlockHash(SequenceState s, int b, long parent) =>
        PrefixHash.Block(parent, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens).Slice(b * BlockTokens, BlockTokens), s.Adapter?.Id ?? 0, s.Request.CacheSalt);

    /// <summary>Copies one block (per layer: keys then values) out of the pool.</summary>
    public unsafe void ReadBlock(BlockId block, Span<byte> destination)
    {
        // A real check: the slabs are native memory indexed by the block id.
        if (destination.Length < 2L * _layers * _slabBytes || (uint)block.Value >= (uint)Pool.Total)
        {
            throw new ArgumentException($"cannot read {block}: destination of {destination.Length} bytes, block of {BlockBytes}");
        }

        int slab = _slabBytes;
        for (int l = 0; l < _layers; l++)
        {
            new ReadOnlySpan<byte>(Storage.Slab(false, l, block.Value), slab).CopyTo(destination.Slice(2 * l * slab, slab));
            new ReadOnlySpan<byte>(Storage.Slab(true, l, block.Value), slab).CopyTo(destination.Slice(((2 * l) + 1) * slab, slab));
        }
    }

    /// <summary>Writes one block received from a peer into a reserved block (layout as <see cref="ReadBlock"/>).</summary>
    public unsafe void WriteBlock(BlockId block, ReadOnlySpan<byte> source)
    {
        if (source.Length < 2L * _layers * _slabBytes || (uint)block.Value >= (uint)Pool.Total)
        {
            throw new ArgumentException($"cannot write {block}: source of {source.Length} bytes, block of {BlockBytes}");
        }

        int slab = _slabBytes;
        for (int l = 0; l < _layers; l++)
        {
            source.Slice(2 * l * slab, slab).CopyTo(new Span<byte>(Storage.Slab(false, l, block.Value), slab));
            source.Slice(((2 * l) + 1) * slab, slab).CopyTo(new Span<byte>(Storage.Slab(true, l, block.Value), slab));
        }
    }

    public void Dispose() => Storage.Dispose();
}
