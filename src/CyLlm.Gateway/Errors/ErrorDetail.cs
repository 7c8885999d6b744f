using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Errors;

/// <summary>OpenAI error object: message (with the fix), type, param (null when none), code (string).</summary>
public sealed record ErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string Code);
