using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>A request's validated tools, tool_choice and parallel_tool_calls.</summary>
public sealed record ChatToolSettings(IReadOnlyList<ChatTool> Tools, ToolChoice Choice, bool Parallel)
{
    public static ChatToolSettings Empty { get; } = new([], ToolChoice.None, true);

    /// <summary>Whether the output is parsed for tool calls (tools given and tool_choice is not "none").</summary>
    public bool ParsesCalls => Tools.Count > 0 && Choice.Mode != ToolChoiceMode.None;
}
