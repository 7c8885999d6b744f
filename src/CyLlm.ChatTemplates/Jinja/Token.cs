namespace CyLlm.ChatTemplates.Jinja;

/// <summary>An expression token with its position in the template (1-based line, for error messages).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line);
