using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>Router → prefill worker: compute the KV of <see cref="PromptTokens"/> for <see cref="BootstrapRoom"/>.</summary>
public sealed record PrefillWorkRequest
{
    // Array fields sent as JSON null read as empty (a clear 400 later), never as a null that would surface as a 500.
    [JsonPropertyName("bootstrap_room")]
    public ulong BootstrapRoom { get; init; }

    [JsonPropertyName("prompt_tokens")]
    public int[] PromptTokens { get => _promptTokens; init => _promptTokens = value ?? []; }

    private readonly int[] _promptTokens = [];

    /// <summary>The tenant's prefix-cache salt, computed by the router (workers hold no key); absent = 0 from old routers.</summary>
    [JsonPropertyName("cache_salt")]
    public long CacheSalt { get; init; }
}
