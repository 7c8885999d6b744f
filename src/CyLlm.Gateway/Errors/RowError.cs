using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Errors;

/// <summary>
/// One bad row of an uploaded file, listed in <c>error.row_errors</c> so a client can show every row to fix at once
/// rather than one per upload: its 1-based line, the JSON path in the line where parsing stopped (null when the
/// whole line is at fault), and why.
/// </summary>
public sealed record RowError(
    [property: JsonPropertyName("line")] long Line,
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("message")] string Message);
