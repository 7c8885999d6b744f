namespace CyLlm.ChatTemplates.Tools;

/// <summary>What one step of an <see cref="IToolCallParser"/> yields: content text, one complete call, or reasoning text
/// (the chain of thought a reasoning format such as gpt-oss's harmony analysis channel keeps apart from the answer).</summary>
public readonly record struct ToolParseEvent(string? Content, ParsedToolCall? Call, string? Reasoning = null)
{
    public static ToolParseEvent Text(string content) => new(content, null);

    public static ToolParseEvent ToolCall(ParsedToolCall call) => new(null, call);

    public static ToolParseEvent Thinking(string reasoning) => new(null, null, reasoning);
}
