using System.Runtime.InteropServices;
using CyLlm.Engine.Execution;

namespace CyLlm.Engine.KvCache;

/// <summary>
/// The memory of the paged KV cache: keys and values as [layer, block, slot, row] (a row is kvDim F16/F32 elements or kvDim/32 Q8_0 blocks),
/// one native allocation each, sized from a byte budget. The forward pass reads it through the block tables of the
/// sequences in the current batch (indexed by batch sequence slot).
/// </summary>
internal sealed unsafe class PagedKvStorage : IKvCache, IDisposable
{
    private readonly int _layers;
    private readonly int _kvDim;
    private float* _keys;
    private float* _values;

    public PagedKvStorage(int layers, int kvDim, int blockTokens, int blocks, KvCacheType type)
    {
        _layers = layers;
        _kvDim = kvDim;
        BlockTokens = blockTokens;
        Blocks = blocks;
        IsF16 = type == KvCacheType.F16;
        Type = type;
        RowBytes = KvCacheTypeInfo.RowBytes(type, kvDim);
        nuint bytes = (nuint)layers * (nuint)blocks * (nuint)blockTokens * (nuint)RowBytes;
        _keys = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _values = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        Bytes = (long)bytes * 2;
    }

    /// <summary>Bytes of one block across all layers, keys and values.</summary>
    public static long BlockBytes(int layers, int kvDim, int blockTokens, KvCacheType type) =>
        2L * layers * blockTokens * KvCacheTypeInfo.RowBytes(type, kvDim);

    public bool IsF16 { get; }

    public KvCacheType Type { get; }

    public int RowBytes { get; }

    public int BlockTokens { get; }

    public int Blocks { get; }

    public long Bytes { get; }

    /// <summary>Block tables of the sequences in the current batch, by sequence slot.</summary>
    public List<BlockId>[] Tables { get; set; } = [];

    public float* KeyBlock(int layer, int seq, int block) => (float*)((byte*)_keys + Offset(layer, Tables[seq][block].Value));

    public float* ValueBlock(int layer, int seq, int block) => (float*)((byte*)_values + Offset(layer, Tables[seq][block].Value));

    /// <summary>One layer's keys (or values) of a physical block: BlockTokens × kvDim elements (KV transfer).</summary>
    public byte* Slab(bool values, int layer, int physical) => (byte*)(values ? _values : _keys) + Offset(layer, physical);

    /// <summary>Byte offset of a block within one of the two arrays.</summary>
    private nint Offset(int layer, int physical) => (((nint)layer * Blocks) + physical) * BlockTokens * RowBytes;

    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = null;
        _values = null;
        _ = _layers;
    }
}
