namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// MarkupSafe's Markup: a string marked safe by <c>|safe</c> or <c>|escape</c>. It behaves as its text everywhere,
/// except that <c>+</c>, <c>*</c> and <c>%</c> with it HTML-escape the plain-string operand (templates such as
/// functionary's rely on that), and escaping it again leaves it unchanged.
/// </summary>
internal sealed class Markup(string value)
{
    public string Value { get; } = value;

    public override string ToString() => Value;
}
