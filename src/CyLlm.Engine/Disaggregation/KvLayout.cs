using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Shape of a paged KV pool, as both sides must agree on it. One block on the wire is <see cref="BlockBytes"/> bytes:
/// for each layer, the keys [BlockTokens, KvDim] then the values [BlockTokens, KvDim], rows in the pool's element type (<see cref="KvCacheTypeInfo.RowBytes"/>).
/// </summary>
public readonly record struct KvLayout(int Layers, int KvDim, int BlockTokens, KvCacheType Type)
{
    /// <summary>Bytes of one layer's keys (or values) of one block.</summary>
    public int SlabBytes => BlockTokens * KvCacheTypeInfo.RowBytes(Type, KvDim);

    public int BlockBytes => 2 * Layers * SlabBytes;
}
