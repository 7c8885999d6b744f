using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Workers;

/// <summary>Engine worker → gateway: the input's mean-pooled, L2-normalized embedding.</summary>
public sealed record EmbedWorkResponse
{
    [JsonPropertyName("embedding")]
    public float[] Embedding { get; init; } = [];
}
