namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Kinds of expression tokens inside {{ }} and {% %}.</summary>
internal enum TokenKind
{
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}
