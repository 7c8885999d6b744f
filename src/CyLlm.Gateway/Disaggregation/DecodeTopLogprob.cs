using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>One alternative of a streamed decode token: a token id and its natural-log probability (-Infinity for a
/// banned token, written as the string "-Infinity" since JSON has no infinities).</summary>
public sealed record DecodeTopLogprob
{
    [JsonPropertyName("token_id")]
    public int TokenId { get; init; }

    [JsonPropertyName("logprob")]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public float Logprob { get; init; }
}
