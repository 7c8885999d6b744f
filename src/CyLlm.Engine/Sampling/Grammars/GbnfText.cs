using System.Globalization;
using System.Text;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>Writes GBNF tokens (quoted literals, class characters) for the generators of this folder.</summary>
internal static class GbnfText
{
    /// <summary><paramref name="text"/> as a GBNF string literal.</summary>
    public static string Literal(string text)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            AppendChar(sb, rune.Value, inClass: false);
        }

        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>One code point, escaped where GBNF needs it (quotes, brackets, backslash, controls, non-ASCII).</summary>
    public static void AppendChar(StringBuilder sb, int cp, bool inClass)
    {
        if (cp is '"' or '\\' or '[' or ']' || (inClass && cp is '-' or '^'))
        {
            sb.Append('\\').Append((char)cp);
        }
        else if (cp >= 0x20 && cp < 0x7F)
        {
            sb.Append((char)cp);
        }
        else if (cp <= 0xFF)
        {
            sb.Append("\\x").Append(cp.ToString("X2", CultureInfo.InvariantCulture));
        }
        else if (cp <= 0xFFFF)
        {
            sb.Append("\\u").Append(cp.ToString("X4", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append("\\U").Append(cp.ToString("X8", CultureInfo.InvariantCulture));
        }
    }
}
