using System.Runtime.InteropServices;

namespace CyLlm.Engine.Execution;

/// <summary>
/// A KV cache for a fixed number of sequences, each with room for <c>capacity</c> tokens, in native memory:
/// [layer, seq, token, kvDim] floats for keys and the same for values. Used by single-stream generation.
/// </summary>
internal sealed unsafe class ContiguousKvCache : IKvCache, IDisposable
{
    private readonly int _layers;
    private readonly int _sequences;
    private readonly int _kvDim;
    private float* _keys;
    private float* _values;

    public ContiguousKvCache(int layers, int sequences, int capacity, int kvDim)
    {
        _layers = layers;
        _sequences = sequences;
        _kvDim = kvDim;
        BlockTokens = capacity;
        nuint bytes = (nuint)layers * (nuint)sequences * (nuint)capacity * (nuint)kvDim * sizeof(float);
        Bytes = (long)bytes * 2;
        _keys = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _values = (float*)NativeMemory.AlignedAlloc(bytes, 64);
    }

    public int BlockTokens { get; }

    public bool IsF16 => false;

    public KvCache.KvCacheType Type => KvCache.KvCacheType.F32;

    public int RowBytes => _kvDim * sizeof(float);

    public long Bytes { get; }

    public float* KeyBlock(int layer, int seq, int block) => _keys + Offset(layer, seq);

    public float* ValueBlock(int layer, int seq, int block) => _values + Offset(layer, seq);

    private nint Offset(int layer, int seq) => (((nint)layer * _sequences) + seq) * BlockTokens * _kvDim;

    public void Dispose()
    {
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        _keys = null;
        _values = null;
        _ = _layers;
    }
}
