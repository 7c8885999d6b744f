namespace CyLlm.ChatTemplates;

/// <summary>
/// A template that cannot be parsed or rendered. <see cref="Line"/> and <see cref="Column"/> (1-based, 0 when
/// unknown) locate the cause in the template source; <see cref="Message"/> is one line. For
/// <see cref="ChatTemplateErrorKind.RaisedByTemplate"/> the message is exactly the template's own text.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException(string message)
        : this(message, ChatTemplateErrorKind.Render, 0, 0)
    {
    }

    public ChatTemplateException(string message, ChatTemplateErrorKind kind, int line, int column)
        : this(message, kind, line, column, null)
    {
    }

    public ChatTemplateException(string message, ChatTemplateErrorKind kind, int line, int column, Exception? innerException)
        : base(Format(message, kind, line, column), innerException)
    {
        Kind = kind;
        Line = line;
        Column = column;
        Reason = message;
    }

    public ChatTemplateErrorKind Kind { get; }

    /// <summary>1-based line of the template where the error was detected; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column (UTF-16 code units) of the template where the error was detected; 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The message without its position prefix.</summary>
    public string Reason { get; }

    private static string Format(string message, ChatTemplateErrorKind kind, int line, int column)
    {
        // One line, whatever the template put in its raise_exception text.
        string text = message.ReplaceLineEndings(" ");
        if (kind == ChatTemplateErrorKind.RaisedByTemplate || line <= 0)
        {
            return text;
        }

        return $"line {line}, column {column}: {text}";
    }
}
