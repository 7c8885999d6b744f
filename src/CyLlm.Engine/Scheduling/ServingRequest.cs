using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>A request to the serving engine: prompt token ids, sampling, priority (lower runs first, as vLLM),
/// and the tenant's prefix-cache salt (requests share cached blocks only with the same salt).</summary>
public sealed record ServingRequest(int[] PromptTokens, SamplingParams Sampling)
{
    private readonly int _priority;

    /// <summary>Scheduling priority, lower first. Setting it (even to 0) makes it explicit; a request that
    /// leaves it unset gets its tenant's default from <see cref="ServingOptions.TenantDefaultPriorities"/>, else 0.</summary>
    public int Priority
    {
        get => _priority;
        init
        {
            _priority = value;
            HasExplicitPriority = true;
        }
    }

    /// <summary>Whether <see cref="Priority"/> was set by the caller.</summary>
    public bool HasExplicitPriority { get; private init; }

    /// <summary>The tenant the request belongs to (for its default priority), or null.</summary>
    public string? TenantId { get; init; }

    public long CacheSalt { get; init; }

    /// <summary>
    /// Log-probabilities of the prompt's own tokens (completions' <c>echo</c> with <c>logprobs</c>): null for none, else
    /// the number of alternatives per position (0–20). The prompt is then computed in full, without prefix-cache hits,
    /// since a cached block has no logits.
    /// </summary>
    public int? PromptLogprobs { get; init; }

    /// <summary>Name of a loaded LoRA adapter to apply, or null for the base model.</summary>
    public string? Adapter { get; init; }
}
