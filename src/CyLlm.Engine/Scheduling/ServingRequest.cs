using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>A request to the serving engine: prompt token ids, sampling, priority (lower runs first, as vLLM),
/// and the tenant's prefix-cache salt (requests share cached blocks only with the same salt).</summary>
public sealed record ServingRequest(int[] PromptTokens, SamplingParams Sampling)
{
    public int Priority { get; init; }

    public long CacheSalt { get; init; }
}
