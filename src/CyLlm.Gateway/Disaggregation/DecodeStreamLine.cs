using System.Text.Json.Serialization;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// One line of the decode worker's <c>application/x-ndjson</c> answer to a streaming <see cref="DecodeWorkRequest"/>.
/// Three kinds, told apart by which fields are present (absent fields are not written):
/// a token line <c>{"token_id","text"[,"logprob","top_logprobs"]}</c> per generated token (token_id −1 for a final text
/// piece with no token); then exactly one last line, either the final line
/// <c>{"finish_reason","token_ids","text","prompt_tokens","completion_tokens","cached_tokens"}</c> or, when generation
/// failed after the first line, the OpenAI error object <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
public sealed record DecodeStreamLine
{
    [JsonPropertyName("token_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TokenId { get; init; }

    /// <summary>Token line: the text the token completes (may be empty); final line: the whole generated text.</summary>
    [JsonPropertyName("text")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Text { get; init; }

    /// <summary>The chosen token's natural-log probability; present only when logprobs were asked.</summary>
    [JsonPropertyName("logprob")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public float? Logprob { get; init; }

    /// <summary>The most likely alternatives, most likely first; present only when the sampler produced them.</summary>
    [JsonPropertyName("top_logprobs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DecodeTopLogprob[]? TopLogprobs { get; init; }

    /// <summary>Final line: stop, length or cancelled.</summary>
    [JsonPropertyName("finish_reason")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FinishReason { get; init; }

    /// <summary>Final line: every generated token id (the end-of-generation token excluded).</summary>
    [JsonPropertyName("token_ids")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[]? TokenIds { get; init; }

    [JsonPropertyName("prompt_tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PromptTokens { get; init; }

    [JsonPropertyName("completion_tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CompletionTokens { get; init; }

    /// <summary>Prompt tokens the decode worker served from its prefix cache.</summary>
    [JsonPropertyName("cached_tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CachedTokens { get; init; }

    /// <summary>Error line: generation failed after streaming started.</summary>
    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ErrorDetail? Error { get; init; }
}
