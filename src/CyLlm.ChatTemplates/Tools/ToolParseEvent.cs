namespace CyLlm.ChatTemplates.Tools;

/// <summary>What one step of an <see cref="IToolCallParser"/> yields: content text, or one complete call.</summary>
public readonly record struct ToolParseEvent(string? Content, ParsedToolCall? Call)
{
    public static ToolParseEvent Text(string content) => new(content, null);

    public static ToolParseEvent ToolCall(ParsedToolCall call) => new(null, call);
}
