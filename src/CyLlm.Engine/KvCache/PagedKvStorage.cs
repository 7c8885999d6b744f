using System.Runtime.InteropServices;
using CyLlm.Engine.Execution;

namespace CyLlm.Engine.KvCache;

/// <summary>
/// The memory of the paged KV cache: keys and values as [layer, block, slot, kvDim] floats (F32), one native
/// allocation each, sized from a byte budget. The forward pass reads it through the block tables of the
/// sequences in the current batch (indexed by batch sequence slot).
/// </summary>
internal sealed unsafe class PagedKvStorage : IKvCache, IDisposable
{
    private readonly int _layers;
    private readonly int _kvDim;
    private float* _keys;
    private float* _values;

    public PagedKvStorage(int layers, int kvDim, int blockTokens, int blocks)
    {
        _layers = layers;
        _kvDim = kvDim;
        BlockTokens = blockTokens;
        Blocks = blocks;
        nuint bytes = (nuint)layers * (nuint)blocks * (nuint)blockTokens * (nuint)kvDim * sizeof(float);
        _keys = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _values = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        Bytes = (long)bytes * 2;
    }

    /// <summary>Bytes of one block across all layers, keys and values.</summary>
    public static long BlockBytes(int layers, int kvDim, int blockTokens) => 2L * layers * blockTokens * kvDim * sizeof(float);

    public int BlockTokens { get; }

    public int Blocks { get; }

    public long Bytes { get; }

    /// <summary>Block tables of the sequences in the current batch, by sequence slot.</summary>
    public List<BlockId>[] Tables { get; set; } = [];

    public float* KeyBlock(int layer, int seq, int block) => _keys + Offset(layer, Tables[seq][block].Value);

    public float* ValueBlock(int layer, int seq, int block) => _values + Offset(layer, Tables[seq][block].Value);

    private nint Offset(int layer, int physical) => (((nint)layer * Blocks) + physical) * BlockTokens * _kvDim;

    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = null;
        _values = null;
        _ = _layers;
    }
}
