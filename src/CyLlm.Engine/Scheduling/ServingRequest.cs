using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>A request to the serving engine: prompt token ids, sampling, priority (lower runs first, as vLLM),
/// and the tenant's prefix-cache salt (requests share cached blocks only with the same salt).</summary>
public sealed record ServingRequest(int[] PromptTokens, SamplingParams Sampling)
{
    public int Priority { get; init; }

    public long CacheSalt { get; init; }

    /// <summary>Name of a loaded LoRA adapter to apply, or null for the base model.</summary>
    public string? Adapter { get; init; }
}
