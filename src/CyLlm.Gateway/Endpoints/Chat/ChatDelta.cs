using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>What a chunk adds: the role (first chunk only), content text or tool call pieces.</summary>
public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatToolCallDelta>? ToolCalls = null);
