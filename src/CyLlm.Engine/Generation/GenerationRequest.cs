using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Generation;

/// <summary>A prompt (text or token ids) and how to continue it.</summary>
public sealed record GenerationRequest
{
    /// <summary>Prompt text; ignored when <see cref="PromptTokens"/> is set.</summary>
    public string Prompt { get; init; } = "";

    public IReadOnlyList<int>? PromptTokens { get; init; }

    /// <summary>Prepend BOS; null = the tokenizer's default.</summary>
    public bool? AddBos { get; init; }

    /// <summary>Recognise special-token text (e.g. chat template markers) in the prompt.</summary>
    public bool ParseSpecial { get; init; } = true;

    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Scheduling priority for the serving engine: lower runs first (vLLM's convention); null = the
    /// tenant's default priority (ServingOptions.TenantDefaultPriorities), else 0.</summary>
    public int? Priority { get; init; }

    /// <summary>The tenant the request runs for: picks its default priority (serving engine only).</summary>
    public string? TenantId { get; init; }

    /// <summary>Prefix-cache salt (serving engine only): requests share cached KV blocks only with the same salt, so a
    /// server gives each tenant its own (the gateway derives it from the tenant id with a secret key).</summary>
    public long CacheSalt { get; init; }

    /// <summary>LoRA adapter to apply (serving engine only), or null for the base model.</summary>
    public string? Adapter { get; init; }

    /// <summary>Log-probabilities of the prompt's tokens (completions' echo): null for none, else alternatives per position (0–20).</summary>
    public int? PromptLogprobs { get; init; }
}
