using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Errors;

/// <summary>The wire shape <c>{"error":{...}}</c>.</summary>
public sealed record ErrorBody([property: JsonPropertyName("error")] ErrorDetail Error);
