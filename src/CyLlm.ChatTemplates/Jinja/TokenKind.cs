namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Kinds of lexical tokens; expression tokens appear only between a *Begin and its *End.</summary>
internal enum TokenKind
{
    /// <summary>Literal template text, already whitespace-controlled.</summary>
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,

    /// <summary>A string literal; <see cref="Token.Text"/> holds the unescaped value.</summary>
    String,

    /// <summary>An integer literal; <see cref="Token.Text"/> holds the source spelling.</summary>
    Integer,

    /// <summary>A float literal; <see cref="Token.Text"/> holds the source spelling.</summary>
    Float,
    Operator,
    Eof,
}
