namespace CyLlm.Engine.Execution;

/// <summary>
/// Where the forward pass keeps keys and values. Storage is in blocks of <see cref="BlockTokens"/> token slots
/// per (layer, sequence); each block is [BlockTokens, kvDim] floats, row-major, for keys and for values.
/// A contiguous cache is one block per sequence spanning the whole context; the paged cache maps a sequence's
/// logical blocks to physical ones through its block table.
/// </summary>
internal unsafe interface IKvCache
{
    int BlockTokens { get; }

    /// <summary>Keys of logical block <paramref name="block"/> of sequence <paramref name="seq"/> in <paramref name="layer"/>.</summary>
    float* KeyBlock(int layer, int seq, int block);

    float* ValueBlock(int layer, int seq, int block);

    /// <summary>True when blocks hold IEEE halves; then <see cref="KeyBlock"/>/<see cref="ValueBlock"/> return
    /// the address of [BlockTokens, kvDim] halves (reinterpret as ushort*).</summary>
    bool IsF16 { get; }

    /// <summary>Element type of the rows: a block is [BlockTokens] rows of <see cref="RowBytes"/> bytes
    /// (F32/F16 elements, or Q8_0 blocks of 32 elements).</summary>
    KvCache.KvCacheType Type { get; }

    /// <summary>Bytes of one token's row (kvDim elements) within a block.</summary>
    int RowBytes { get; }
}
