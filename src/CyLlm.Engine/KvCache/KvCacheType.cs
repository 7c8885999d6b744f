namespace CyLlm.Engine.KvCache;

/// <summary>Element type of the paged KV cache. Persisted in configuration: values frozen.</summary>
public enum KvCacheType
{
    /// <summary>IEEE half: half the memory of F32, as llama.cpp and vLLM store KV by default.</summary>
    F16 = 0,

    /// <summary>Full precision.</summary>
    F32 = 1,
}
