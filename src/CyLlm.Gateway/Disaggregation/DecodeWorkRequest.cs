using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>Router → decode worker: receive the room's KV and generate with these sampling settings.</summary>
public sealed record DecodeWorkRequest
{
    [JsonPropertyName("bootstrap_room")]
    public ulong BootstrapRoom { get; init; }

    [JsonPropertyName("prompt_tokens")]
    public int[] PromptTokens { get; init; } = [];

    [JsonPropertyName("max_tokens")]
    public int MaxTokens { get; init; } = 16;

    [JsonPropertyName("temperature")]
    public float Temperature { get; init; } = 1f;

    [JsonPropertyName("top_p")]
    public float TopP { get; init; } = 1f;

    [JsonPropertyName("top_k")]
    public int TopK { get; init; }

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    [JsonPropertyName("ignore_eos")]
    public bool IgnoreEos { get; init; }

    [JsonPropertyName("stop")]
    public string[] Stop { get; init; } = [];
}
