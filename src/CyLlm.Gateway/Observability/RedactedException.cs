namespace CyLlm.Gateway.Observability;

/// <summary>Stands in for a logged exception: its text (message, inner exceptions, stack) with secrets masked.</summary>
public sealed class RedactedException(Exception original, LogRedactor redactor) : Exception(redactor.Redact(original.Message))
{
    private readonly string _text = redactor.Redact(original.ToString());

    public string OriginalType { get; } = original.GetType().FullName ?? original.GetType().Name;

    public override string? StackTrace => null;

    public override string ToString() => _text;
}
