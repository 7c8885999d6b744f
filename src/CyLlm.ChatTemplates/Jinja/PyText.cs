using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python <c>str</c> semantics the templates rely on (whitespace set, strip, split, title, repr).</summary>
internal static class PyText
{
    /// <summary>Python's str.isspace for one UTF-16 unit: .NET's whitespace plus the separators \x1c-\x1f.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static bool AllSpace(string s, int from)
    {
        Debug.Assert(from >= 0 && from <= s.Length);
        for (int i = from; i < s.Length; i++)
        {
            if (!IsSpace(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static string Strip(string s, string? chars = null) => RStrip(LStrip(s, chars), chars);

    public static string LStrip(string s, string? chars = null)
    {
        int i = 0;
        while (i < s.Length && (chars is null ? IsSpace(s[i]) : chars.Contains(s[i], StringComparison.Ordinal)))
        {
            i++;
        }

        return i == 0 ? s : s[i..];
    }

    public static string RStrip(string s, string? chars = null)
    {
        int e = s.Length;
        while (e > 0 && (chars is null ? IsSpace(s[e - 1]) : chars.Contains(s[e - 1], StringComparison.Ordinal)))
        {
            e--;
        }

        return e == s.Length ? s : s[..e];
    }

    /// <summary>str.split(sep=None, maxsplit): runs of whitespace separate, no empty parts.</summary>
    public static List<object?> SplitWhitespace(string s, long maxSplit)
    {
        var parts = new List<object?>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && IsSpace(s[i]))
            {
                i++;
            }

            if (i >= s.Length)
            {
                break;
            }

            if (maxSplit >= 0 && parts.Count >= maxSplit)
            {
                parts.Add(s[i..]);
                break;
            }

            int st = i;
            while (i < s.Length && !IsSpace(s[i]))
            {
                i++;
            }

            parts.Add(s[st..i]);
        }

        return parts;
    }

    /// <summary>str.split(sep, maxsplit) with an explicit separator.</summary>
    public static List<object?> Split(string s, string sep, long maxSplit)
    {
        var parts = new List<object?>();
        int start = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(sep, start, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            parts.Add(s[start..at]);
            start = at + sep.Length;
        }

        parts.Add(s[start..]);
        return parts;
    }

    /// <summary>str.rsplit(sep, maxsplit) with an explicit separator.</summary>
    public static List<object?> RSplit(string s, string sep, long maxSplit)
    {
        var parts = new List<object?>();
        int end = s.Length;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > end)
            {
                break;
            }

            parts.Add(s[(at + sep.Length)..end]);
            end = at;
        }

        parts.Add(s[..end]);
        parts.Reverse();
        return parts;
    }

    /// <summary>str.splitlines(keepends=False): \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029 end lines.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }

        return lines;
    }

    /// <summary>str.title(): a cased character after an uncased one is upper-cased, the others lower-cased.</summary>
    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.TitlecaseLetter;
            sb.Append(cased ? (prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            prevCased = cased;
        }

        return sb.ToString();
    }

    /// <summary>Jinja's title filter: words start after whitespace or one of - ( { [ &lt;.</summary>
    public static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool boundary = IsSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            if (boundary)
            {
                sb.Append(c);
                wordStart = true;
                continue;
            }

            sb.Append(wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = false;
        }

        return sb.ToString();
    }

    /// <summary>str.capitalize(): first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python repr of a string: single quotes unless it holds ' and no ", escapes for the unprintable.</summary>
    public static void AppendRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\')
            {
                sb.Append('\\').Append(c);
            }
            else if (c == '\n')
            {
                sb.Append("\\n");
            }
            else if (c == '\r')
            {
                sb.Append("\\r");
            }
            else if (c == '\t')
            {
                sb.Append("\\t");
            }
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, s[i + 1]);
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(cp)))
                {
                    sb.Append(c).Append(s[i + 1]);
                }
                else
                {
                    sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                }

                i++;
            }
            else if (c == ' ' || IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c)))
            {
                sb.Append(c);
            }
            else if (c < 0x100)
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        sb.Append(quote);
    }

    private static bool IsPrintable(UnicodeCategory cat) => cat is not (UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
}
