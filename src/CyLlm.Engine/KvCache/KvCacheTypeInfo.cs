namespace CyLlm.Engine.KvCache;

/// <summary>Sizes of the KV cache element types.</summary>
public static class KvCacheTypeInfo
{
    /// <summary>Bytes of one token's keys (or values) of one layer: a row of <paramref name="kvDim"/> elements.</summary>
    public static int RowBytes(KvCacheType type, int kvDim) => type switch
    {
        KvCacheType.F16 => kvDim * 2,
        KvCacheType.Q8_0 => kvDim / 32 * 34,
        _ => kvDim * 4,
    };

    /// <summary>Why <paramref name="type"/> cannot hold rows of this shape, or null when it can.</summary>
    public static string? Validate(KvCacheType type, int kvDim, int headDim) =>
        !Enum.IsDefined(type) ? $"unknown KV cache type {(int)type}"
        : type == KvCacheType.Q8_0 && kvDim % 32 != 0
            ? $"a q8_0 KV cache needs key/value rows of a multiple of 32 elements (this model: kv_dim {kvDim}, head_dim {headDim}); use f16"
            : null;

    /// <summary>Parses the CLI/config spelling (f16, f32, q8_0), case-insensitively.</summary>
    public static bool TryParse(string? text, out KvCacheType type)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "f16":
                type = KvCacheType.F16;
                return true;
            case "f32":
                type = KvCacheType.F32;
                return true;
            case "q8_0":
            case "q8":
                type = KvCacheType.Q8_0;
                return true;
            default:
                type = KvCacheType.F16;
                return false;
        }
    }
}
