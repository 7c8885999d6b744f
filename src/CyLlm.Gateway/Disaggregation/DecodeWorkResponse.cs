using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>Decode worker → router: the generated tokens, each token's text piece (a final piece may have id −1), and why it stopped.</summary>
public sealed record DecodeWorkResponse
{
    [JsonPropertyName("bootstrap_room")]
    public ulong BootstrapRoom { get; init; }

    [JsonPropertyName("token_ids")]
    public int[] TokenIds { get; init; } = [];

    [JsonPropertyName("piece_ids")]
    public int[] PieceIds { get; init; } = [];

    [JsonPropertyName("pieces")]
    public string[] Pieces { get; init; } = [];

    [JsonPropertyName("text")]
    public string Text { get; init; } = "";

    [JsonPropertyName("finish_reason")]
    public string FinishReason { get; init; } = "";
}
