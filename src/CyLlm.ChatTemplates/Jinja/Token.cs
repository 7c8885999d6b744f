namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// A lexical token. <see cref="Line"/> and <see cref="Column"/> are the 1-based position of its first character
/// in the template (columns count UTF-16 code units).
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;

    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "end of print statement '}}'",
        TokenKind.BlockEnd => "end of statement block '%}'",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.Text => "template text",
        TokenKind.String => "string literal",
        _ => $"'{Text}'",
    };
}
