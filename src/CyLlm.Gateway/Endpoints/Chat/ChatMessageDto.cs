using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>
/// One request message: role, content (a string or an array of text parts), an optional name, an assistant's
/// tool_calls and a tool result's tool_call_id (kept as JSON so a wrong type is a 400 naming the field).
/// </summary>
public sealed class ChatMessageDto
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }

    /// <summary>Participant name; accepted and not rendered (templates have no slot for it).</summary>
    public string? Name { get; set; }

    public JsonElement? ToolCalls { get; set; }

    public JsonElement? ToolCallId { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
