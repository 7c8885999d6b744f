using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>
/// The function part of a tool call: the name, and the arguments as JSON text. In a stream the name comes only in
/// a call's first delta and the arguments arrive in pieces, so either may be absent there.
/// </summary>
public sealed record ChatFunctionCall(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Arguments);
