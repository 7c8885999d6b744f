using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>Router → prefill worker: compute the KV of <see cref="PromptTokens"/> for <see cref="BootstrapRoom"/>.</summary>
public sealed record PrefillWorkRequest
{
    [JsonPropertyName("bootstrap_room")]
    public ulong BootstrapRoom { get; init; }

    [JsonPropertyName("prompt_tokens")]
    public int[] PromptTokens { get; init; } = [];
}
