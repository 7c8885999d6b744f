namespace CyLlm.ChatTemplates;

/// <summary>A template that cannot be parsed or rendered (syntax error, raise_exception, a limit exceeded).</summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException(string message)
        : base(message)
    {
    }
}
