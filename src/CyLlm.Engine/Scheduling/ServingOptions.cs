using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Scheduling;

/// <summary>Sizing of the serving engine (continuous batching over a paged KV cache).</summary>
public sealed record ServingOptions
{
    /// <summary>Tokens per KV block.</summary>
    public int BlockTokens { get; init; } = 16;

    /// <summary>Bytes for the KV pool; the block count follows from it.</summary>
    public long KvCacheBytes { get; init; } = 256L << 20;

    /// <summary>Most sequences decoding in one step.</summary>
    public int MaxRunning { get; init; } = 64;

    /// <summary>Most tokens (decode + prefill chunks) in one step; long prompts are prefilled in chunks.</summary>
    public int TokenBudget { get; init; } = 256;

    /// <summary>Waiting requests beyond this are rejected at once as server_overloaded.</summary>
    public int MaxWaiting { get; init; } = 256;

    /// <summary>Prompt tokens waiting beyond this are rejected at once as server_overloaded.</summary>
    public long MaxWaitingTokens { get; init; } = 1 << 20;

    public EvictionPolicy Eviction { get; init; } = EvictionPolicy.Lru;

    /// <summary>Element type of the KV pool (F16 by default, as llama.cpp and vLLM).</summary>
    public KvCacheType KvType { get; init; } = KvCacheType.F16;

    /// <summary>Reuse cached KV blocks of identical prefixes.</summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>Most distinct LoRA adapters in one batch (vLLM's max_loras).</summary>
    public int MaxLoras { get; init; } = 4;

    /// <summary>Most adapters kept loaded; loading another unloads the least recently used idle one.</summary>
    public int MaxCpuLoras { get; init; } = 8;

    /// <summary>Priority (lower runs first) of requests of a tenant (<see cref="ServingRequest.TenantId"/>, compared
    /// ordinally) that set no explicit <see cref="ServingRequest.Priority"/>; unlisted tenants get 0.</summary>
    public IReadOnlyDictionary<string, int>? TenantDefaultPriorities { get; init; }

    /// <summary>Latency samples kept per percentile window (queue time, TTFT, inter-token, end-to-end).</summary>
    public int PercentileWindow { get; init; } = 4096;
}
