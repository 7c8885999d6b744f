using System.Runtime.InteropServices;
using CyLlm.Engine.Execution;

namespace CyLlm.Engine.Tests;

/// <summary>An F32 <see cref="IKvCache"/> for one layer and one sequence in blocks of <see cref="BlockTokens"/> tokens,
/// each block its own allocation (as in the paged cache), so attention that skips blocks is exercised.
/// Rows are [kvDim] floats; <see cref="Key"/>/<see cref="Value"/> address a token's row.</summary>
internal sealed unsafe class BlockedTestKvCache : IKvCache, IDisposable
{
    private readonly float*[] _keys;
    private readonly float*[] _values;
    private readonly int _kvDim;

    public BlockedTestKvCache(int blockTokens, int blocks, int kvDim)
    {
        BlockTokens = blockTokens;
        _kvDim = kvDim;
        _keys = new float*[blocks];
        _values = new float*[blocks];
        for (int b = 0; b < blocks; b++)
        {
            _keys[b] = (float*)NativeMemory.AllocZeroed((nuint)(blockTokens * kvDim), sizeof(float));
            _values[b] = (float*)NativeMemory.AllocZeroed((nuint)(blockTokens * kvDim), sizeof(float));
        }
    }

    public int BlockTokens { get; }

    public bool IsF16 => false;

    public KvCache.KvCacheType Type => KvCache.KvCacheType.F32;

    public int RowBytes => _kvDim * sizeof(float);

    public float* KeyBlock(int layer, int seq, int block) => _keys[block];

    public float* ValueBlock(int layer, int seq, int block) => _values[block];

    public Span<float> Key(int position) => new(_keys[position / BlockTokens] + ((position % BlockTokens) * _kvDim), _kvDim);

    public Span<float> Value(int position) => new(_values[position / BlockTokens] + ((position % BlockTokens) * _kvDim), _kvDim);

    public void Dispose()
    {
        for (int b = 0; b < _keys.Length; b++)
        {
            NativeMemory.Free(_keys[b]);
            NativeMemory.Free(_values[b]);
        }
    }
}
