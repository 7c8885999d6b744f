namespace CyLlm.ChatTemplates.Tools;

/// <summary>OpenAI's <c>tool_choice</c>: whether the model may, must or must not call tools.</summary>
public enum ToolChoiceMode
{
    /// <summary>The model decides (OpenAI's default when tools are given).</summary>
    Auto,

    /// <summary>No tool calls: the output is plain content and is not parsed for calls.</summary>
    None,

    /// <summary>At least one call to any of the tools.</summary>
    Required,

    /// <summary>A call to the one function named in <see cref="ToolChoice.FunctionName"/>.</summary>
    Function,
}
