using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The assistant message of a choice: content (null when the reply is only tool calls), its tool calls, and the
/// model's reasoning when its format keeps one apart (gpt-oss's analysis channel; the reasoning_content field of
/// DeepSeek's API, vLLM and llama.cpp's server; absent otherwise).</summary>
public sealed record ChatResponseMessage(
    string Role,
    string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatResponseToolCall>? ToolCalls = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasoningContent = null);
