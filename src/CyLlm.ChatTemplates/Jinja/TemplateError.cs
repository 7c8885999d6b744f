namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// A render-time failure raised deep in the evaluator; <see cref="ChatTemplate"/> turns it into a
/// <see cref="ChatTemplateException"/> located at the node being evaluated when it was thrown.
/// </summary>
internal sealed class TemplateError(string message, ChatTemplateErrorKind kind = ChatTemplateErrorKind.Render) : Exception(message)
{
    public ChatTemplateErrorKind Kind { get; } = kind;
}
