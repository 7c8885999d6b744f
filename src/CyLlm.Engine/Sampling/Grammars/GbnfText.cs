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

    /// <summary>
    /// Exactly one of <paramref name="texts"/>, with common prefixes factored out (a trie written as nested groups):
    /// the matcher then follows one stack per distinct next character instead of one per alternative, so long
    /// choice and enum lists stay within its stack bound.
    /// </summary>
    public static string Alternatives(IEnumerable<string> texts)
    {
        var distinct = texts.Distinct(StringComparer.Ordinal).Select(t => t.EnumerateRunes().Select(r => r.Value).ToArray()).ToList();
        return Factor(distinct, 0);
    }

    private static string Factor(List<int[]> group, int offset)
    {
        if (group.Count == 1)
        {
            return RunesLiteral(group[0], offset);
        }

        var alts = new List<string>();
        bool hasEmpty = false;
        foreach (var byFirst in group.Where(g => g.Length > offset).GroupBy(g => g[offset]).OrderBy(g => g.Key))
        {
            var members = byFirst.ToList();
            if (members.Count == 1)
            {
                alts.Add(RunesLiteral(members[0], offset));
                continue;
            }

            // The longest prefix all members share, then the branches.
            int common = offset + 1;
            while (members.TrueForAll(m => m.Length > common && m[common] == members[0][common]))
            {
                common++;
            }

            string head = RunesLiteral(members[0][..common], offset);
            alts.Add(head + " " + Factor(members, common));
        }

        hasEmpty = group.Exists(g => g.Length == offset);
        if (hasEmpty)
        {
            alts.Add("\"\"");
        }

        return alts.Count == 1 ? alts[0] : "(" + string.Join(" | ", alts) + ")";
    }

    private static string RunesLiteral(int[] runes, int offset)
    {
        var sb = new StringBuilder(runes.Length - offset + 2);
        sb.Append('"');
        for (int i = offset; i < runes.Length; i++)
        {
            AppendChar(sb, runes[i], inClass: false);
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
