using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Errors;

/// <summary>OpenAI error object: message (with the fix), type, param (null when none), code (string); an upload's
/// bad rows add <c>row_errors</c>, an extra field OpenAI clients ignore (absent from every other error).</summary>
public sealed record ErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("row_errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RowError>? RowErrors = null);
