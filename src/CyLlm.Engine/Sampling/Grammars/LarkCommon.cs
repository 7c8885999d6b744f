namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// The terminals of Lark's <c>common.lark</c> that <c>%import common.NAME</c> may bring in, written by hand in GBNF
/// under <c>common-</c> names (a '-' no Lark name can contain, so they never clash with the grammar's own). Each
/// matches the same strings as Lark's definition; the lazy regexes there (ESCAPED_STRING, C_COMMENT) are written as
/// the languages their first match defines: a string ends at its first unescaped quote, a comment at its first
/// <c>*/</c>.
/// </summary>
internal static class LarkCommon
{
    /// <summary>Prefix of the GBNF rule that defines common terminal NAME.</summary>
    public const string Prefix = "common-";

    private static readonly (string Name, string Gbnf)[] Terminals =
    [
        ("DIGIT", "[0-9]"),
        ("HEXDIGIT", "[a-fA-F0-9]"),
        ("INT", "common-DIGIT+"),
        ("SIGNED_INT", "[-+]? common-INT"),
        ("DECIMAL", "common-INT \".\" common-INT? | \".\" common-INT"),
        ("_EXP", "[eE] common-SIGNED_INT"),
        ("FLOAT", "common-INT common-_EXP | common-DECIMAL common-_EXP?"),
        ("SIGNED_FLOAT", "[-+]? common-FLOAT"),
        ("NUMBER", "common-FLOAT | common-INT"),
        ("SIGNED_NUMBER", "[-+]? common-NUMBER"),
        ("ESCAPED_STRING", "\"\\\"\" ( [^\"\\\\\\n] | \"\\\\\" [^\\n] )* \"\\\"\""),
        ("LCASE_LETTER", "[a-z]"),
        ("UCASE_LETTER", "[A-Z]"),
        ("LETTER", "[A-Za-z]"),
        ("WORD", "common-LETTER+"),
        ("CNAME", "[_A-Za-z] [_A-Za-z0-9]*"),
        ("WS_INLINE", "[ \\t]+"),
        ("WS", "[ \\t\\x0C\\r\\n]+"),
        ("CR", "\"\\r\""),
        ("LF", "\"\\n\""),
        ("NEWLINE", "( \"\\r\"? \"\\n\" )+"),
        ("SH_COMMENT", "\"#\" [^\\n]*"),
        ("CPP_COMMENT", "\"//\" [^\\n]*"),
        ("C_COMMENT", "\"/*\" ( [^*] | \"*\"+ [^*/] )* \"*\"+ \"/\""),
        ("SQL_COMMENT", "\"--\" [^\\n]*"),
    ];

    /// <summary>Whether common.lark defines <paramref name="name"/> (its private _EXP is not importable).</summary>
    public static bool Has(string name) => name[0] != '_' && Array.Exists(Terminals, t => t.Name == name);

    /// <summary>The importable names, for messages.</summary>
    public static string Names => string.Join(", ", Terminals.Where(t => t.Name[0] != '_').Select(t => t.Name));

    /// <summary>Every common terminal as GBNF rules (unused ones are unreachable and cost nothing while matching).</summary>
    public static string Gbnf() => string.Concat(Terminals.Select(t => Prefix + t.Name + " ::= " + t.Gbnf + "\n"));
}
