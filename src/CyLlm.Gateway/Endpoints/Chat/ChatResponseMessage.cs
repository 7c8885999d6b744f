using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The assistant message of a choice: content (null when the reply is only tool calls) and its tool calls.</summary>
public sealed record ChatResponseMessage(
    string Role,
    string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatResponseToolCall>? ToolCalls = null);
