namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Jinja's default Undefined: renders as "", is falsy, iterates as empty and has length 0, but using it as an
/// object (attribute, item, call, arithmetic, ordering) fails with <see cref="Hint"/>.
/// </summary>
internal sealed class Undefined(string? hint)
{
    public static readonly Undefined Instance = new(null);

    public string Hint { get; } = hint ?? "value is undefined";

    public TemplateError Fail() => new(Hint);
}
