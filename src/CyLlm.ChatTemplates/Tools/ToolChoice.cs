namespace CyLlm.ChatTemplates.Tools;

/// <summary>A validated <c>tool_choice</c>: the mode and, for <see cref="ToolChoiceMode.Function"/>, the function.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? FunctionName = null)
{
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);

    public static ToolChoice None { get; } = new(ToolChoiceMode.None);

    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);

    /// <summary>Whether the output must be tool calls (required or a named function).</summary>
    public bool Forces => Mode is ToolChoiceMode.Required or ToolChoiceMode.Function;
}
