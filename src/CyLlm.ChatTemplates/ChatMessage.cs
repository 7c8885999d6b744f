namespace CyLlm.ChatTemplates;

/// <summary>
/// One turn of a conversation as the template sees it: <c>{"role": Role, "content": Content}</c>, plus
/// <c>"name"</c> when <see cref="Name"/> is set (e.g. the participant or tool name some templates print),
/// <c>"tool_calls"</c> when <see cref="ToolCalls"/> has calls and <c>"tool_call_id"</c> when
/// <see cref="ToolCallId"/> is set — the dict transformers' apply_chat_template passes for an OpenAI message.
/// </summary>
public sealed record ChatMessage(string Role, string Content, string? Name = null)
{
    /// <summary>
    /// The calls an assistant turn made. OpenAI clients send <c>"content": null</c> beside them; pass "" then (the
    /// template sees "", as vLLM passes it: falsy like none, and safe for templates that search the content).
    /// </summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For a <c>tool</c> turn: the id of the call whose result <see cref="Content"/> is.</summary>
    public string? ToolCallId { get; init; }
}
