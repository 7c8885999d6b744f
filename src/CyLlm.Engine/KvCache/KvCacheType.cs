namespace CyLlm.Engine.KvCache;

/// <summary>Element type of the paged KV cache. Persisted in configuration: values frozen.</summary>
public enum KvCacheType
{
    /// <summary>IEEE half: half the memory of F32, as llama.cpp and vLLM store KV by default.</summary>
    F16 = 0,

    /// <summary>Full precision.</summary>
    F32 = 1,

    /// <summary>ggml's block_q8_0 per 32 elements of a row (f16 scale + 32 int8, 34 bytes): 53 % of F16's
    /// memory, as llama.cpp's <c>--cache-type-k/v q8_0</c>. Needs kvDim a multiple of 32.</summary>
    Q8_0 = 2,
}
