using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Translates a practical regex subset to a GBNF expression: literals, classes (with ranges, negation and
/// <c>\d \w \s</c>), <c>.</c>, groups (capturing, <c>(?:)</c>, named), alternation, <c>* + ? {m} {m,} {m,n}</c> (lazy
/// forms match the same strings). <c>^</c> at the start and <c>$</c> at the end are anchors; lookarounds,
/// backreferences, word boundaries and Unicode properties are refused. Inside a JSON string (a schema
/// "pattern") every character is written in its JSON-escaped form, and an unanchored side matches anything.
/// </summary>
internal sealed class RegexGrammar
{
    private readonly string _p;
    private readonly bool _json;
    private readonly bool _dotAll;
    private int _pos;

    private RegexGrammar(string pattern, bool jsonString, bool dotAll)
    {
        _p = pattern;
        _json = jsonString;
        _dotAll = dotAll;
    }

    /// <summary>
    /// The GBNF expression for <paramref name="pattern"/>. With <paramref name="anchoredSearch"/> (JSON Schema
    /// semantics) a pattern is a search: a side without its anchor may have any text there; without it (vLLM
    /// guided_regex) the whole output must match. <paramref name="dotAll"/> is the <c>s</c> flag (Lark's
    /// <c>/.../s</c>): <c>.</c> also matches a newline.
    /// </summary>
    public static string ToGbnf(string pattern, bool jsonString, bool anchoredSearch, bool dotAll = false)
    {
        var r = new RegexGrammar(pattern, jsonString, dotAll);
        bool start = pattern.StartsWith('^');
        bool end = pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal);
        string body = pattern;
        if (start)
        {
            r._pos = 1;
        }

        int limit = end ? pattern.Length - 1 : pattern.Length;
        string expr = r.ParseAlternation(limit);
        if (r._pos != limit)
        {
            throw r.Error(r._p[r._pos] == ')' ? "unbalanced ')'" : $"unexpected '{r._p[r._pos]}'");
        }

        _ = body;
        if (!anchoredSearch)
        {
            return expr;
        }

        string any = "(" + r.EmitClass([(0, 0x10FFFF)]) + ")*";
        return (start ? "" : any + " ") + expr + (end ? "" : " " + any);
    }

    private string ParseAlternation(int limit)
    {
        var alts = new List<string> { ParseSequence(limit) };
        while (_pos < limit && _p[_pos] == '|')
        {
            _pos++;
            alts.Add(ParseSequence(limit));
        }

        return alts.Count == 1 ? alts[0] : "(" + string.Join(" | ", alts) + ")";
    }

    private string ParseSequence(int limit)
    {
        var items = new List<string>();
        while (_pos < limit && _p[_pos] != '|' && _p[_pos] != ')')
        {
            string atom = ParseAtom(limit);
            items.Add(ParseQuantifier(atom, limit));
        }

        return items.Count == 0 ? "(\"\")" : string.Join(" ", items);
    }

    private string ParseQuantifier(string atom, int limit)
    {
        if (_pos >= limit)
        {
            return atom;
        }

        string? q = null;
        char c = _p[_pos];
        if (c is '*' or '+' or '?')
        {
            q = c.ToString();
            _pos++;
        }
        else if (c == '{' && TryParseBraces(limit, out int min, out int max))
        {
            q = max < 0 ? $"{{{min},}}" : min == max ? $"{{{min}}}" : $"{{{min},{max}}}";
        }

        if (q is null)
        {
            return atom;
        }

        if (_pos < limit && _p[_pos] == '?')
        {
            _pos++; // lazy: same set of strings
        }
        else if (_pos < limit && _p[_pos] == '+')
        {
            throw Error("possessive quantifiers are not supported");
        }

        if (_pos < limit && _p[_pos] is '*' or '+' or '{')
        {
            throw Error("nested quantifier");
        }

        return "(" + atom + ")" + q;
    }

    private bool TryParseBraces(int limit, out int min, out int max)
    {
        min = 0;
        max = -1;
        int save = _pos;
        int end = _p.IndexOf('}', _pos);
        if (end < 0 || end >= limit)
        {
            return false;
        }

        string inner = _p[(_pos + 1)..end];
        string[] parts = inner.Split(',');
        var inv = CultureInfo.InvariantCulture;
        if (parts.Length == 1 && int.TryParse(parts[0], NumberStyles.None, inv, out min))
        {
            max = min;
        }
        else if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, inv, out min) &&
                 (parts[1].Length == 0 || int.TryParse(parts[1], NumberStyles.None, inv, out max)))
        {
            if (parts[1].Length == 0)
            {
                max = -1;
            }
        }
        else
        {
            _pos = save;
            return false; // a literal '{' as in most engines
        }

        if (max >= 0 && max < min)
        {
            throw Error($"repetition {{{min},{max}}} has max < min");
        }

        _pos = end + 1;
        return true;
    }

    private string ParseAtom(int limit)
    {
        char c = _p[_pos];
        switch (c)
        {
            case '(':
                // The parser recurses per group: a hostile pattern must be an error, not a stack overflow.
                if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
                {
                    throw Error("groups nest too deeply");
                }

                _pos++;
                if (_pos < limit && _p[_pos] == '?')
                {
                    if (At("?:"))
                    {
                        _pos += 2;
                    }
                    else if (At("?P<") || (At("?<") && !At("?<=") && !At("?<!")))
                    {
                        int close = _p.IndexOf('>', _pos);
                        if (close < 0)
                        {
                            throw Error("unterminated group name");
                        }

                        _pos = close + 1;
                    }
                    else if (At("?=") || At("?!") || At("?<=") || At("?<!"))
                    {
                        throw Error("lookaround assertions are not supported");
                    }
                    else
                    {
                        throw Error("inline flags and special groups are not supported");
                    }
                }

                string inner = ParseAlternation(limit);
                if (_pos >= limit || _p[_pos] != ')')
                {
                    throw Error("missing ')'");
                }

                _pos++;
                return "(" + inner + ")";
            case '[':
                return EmitClass(ParseClass(limit));
            case '.':
                _pos++;
                return EmitClass(_dotAll ? [(0, 0x10FFFF)] : [(0, 9), (11, 0x10FFFF)]);
            case '^':
                throw Error("'^' is supported only at the start of the pattern");
            case '$':
                throw Error("'$' is supported only at the end of the pattern");
            case '*' or '+' or '?':
                throw Error($"quantifier '{c}' has nothing to repeat");
            case '\\':
                return EmitClass(ParseEscape(inClass: false));
            default:
                int cp = char.ConvertToUtf32(_p, _pos);
                _pos += char.IsSurrogatePair(_p, _pos) ? 2 : 1;
                return EmitClass([(cp, cp)]);
        }
    }

    private List<(int Lo, int Hi)> ParseClass(int limit)
    {
        _pos++;
        bool negated = false;
        if (_pos < limit && _p[_pos] == '^')
        {
            negated = true;
            _pos++;
        }

        var ranges = new List<(int Lo, int Hi)>();
        bool first = true;
        while (true)
        {
            if (_pos >= limit)
            {
                throw Error("unterminated character class");
            }

            char c = _p[_pos];
            if (c == ']' && !first)
            {
                _pos++;
                break;
            }

            if (c == '[' && At("[:"))
            {
                throw Error("POSIX character classes are not supported");
            }

            first = false;
            List<(int Lo, int Hi)> item;
            if (c == '\\')
            {
                item = ParseEscape(inClass: true);
            }
            else
            {
                int cp = char.ConvertToUtf32(_p, _pos);
                _pos += char.IsSurrogatePair(_p, _pos) ? 2 : 1;
                item = [(cp, cp)];
            }

            if (item.Count == 1 && item[0].Lo == item[0].Hi && _pos + 1 < limit && _p[_pos] == '-' && _p[_pos + 1] != ']')
            {
                _pos++;
                List<(int Lo, int Hi)> hiItem;
                if (_p[_pos] == '\\')
                {
                    hiItem = ParseEscape(inClass: true);
                }
                else
                {
                    int cp = char.ConvertToUtf32(_p, _pos);
                    _pos += char.IsSurrogatePair(_p, _pos) ? 2 : 1;
                    hiItem = [(cp, cp)];
                }

                if (hiItem.Count != 1 || hiItem[0].Lo != hiItem[0].Hi || hiItem[0].Lo < item[0].Lo)
                {
                    throw Error("invalid range in character class");
                }

                ranges.Add((item[0].Lo, hiItem[0].Lo));
            }
            else
            {
                ranges.AddRange(item);
            }
        }

        return negated ? Complement(ranges) : ranges;
    }

    private List<(int Lo, int Hi)> ParseEscape(bool inClass)
    {
        if (_pos + 1 >= _p.Length)
        {
            throw Error("dangling '\\'");
        }

        char e = _p[_pos + 1];
        _pos += 2;
        switch (e)
        {
            case 'd': return [('0', '9')];
            case 'D': return Complement([('0', '9')]);
            case 'w': return Word();
            case 'W': return Complement(Word());
            case 's': return Space();
            case 'S': return Complement(Space());
            case 'n': return [('\n', '\n')];
            case 't': return [('\t', '\t')];
            case 'r': return [('\r', '\r')];
            case 'f': return [('\f', '\f')];
            case 'v': return [('\v', '\v')];
            case '0': return [(0, 0)];
            case 'x': return Single(Hex(2));
            case 'u': return Single(Hex(4));
            case 'b' when inClass: return [(8, 8)];
            case 'b' or 'B': throw Error("word boundaries (\\b, \\B) are not supported");
            case >= '1' and <= '9' or 'k': throw Error("backreferences are not supported");
            case 'p' or 'P': throw Error("Unicode property classes (\\p) are not supported");
            case 'A' or 'z' or 'Z' or 'G': throw Error($"anchor '\\{e}' is not supported");
            default:
                if (char.IsAsciiLetterOrDigit(e))
                {
                    throw Error($"unknown escape '\\{e}'");
                }

                return [(e, e)];
        }
    }

    private static List<(int Lo, int Hi)> Single(int cp) => [(cp, cp)];

    private static List<(int Lo, int Hi)> Word() => [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

    private static List<(int Lo, int Hi)> Space() => [('\t', '\r'), (' ', ' ')];

    private int Hex(int digits)
    {
        if (_pos + digits > _p.Length || !int.TryParse(_p.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw Error($"expected {digits} hex digits");
        }

        _pos += digits;
        return v;
    }

    private static List<(int Lo, int Hi)> Complement(List<(int Lo, int Hi)> ranges)
    {
        var sorted = new List<(int Lo, int Hi)>(ranges);
        sorted.Sort();
        var result = new List<(int Lo, int Hi)>();
        int next = 0;
        foreach (var (lo, hi) in sorted)
        {
            if (lo > next)
            {
                result.Add((next, lo - 1));
            }

            next = Math.Max(next, hi + 1);
        }

        if (next <= 0x10FFFF)
        {
            result.Add((next, 0x10FFFF));
        }

        return result;
    }

    /// <summary>A GBNF expression for one character of the set; in a JSON string each character appears in its
    /// escaped JSON form (quote, backslash and control characters escaped).</summary>
    private string EmitClass(List<(int Lo, int Hi)> ranges)
    {
        if (ranges.Count == 0)
        {
            throw Error("the character class matches nothing");
        }

        var sb = new StringBuilder();
        if (!_json)
        {
            AppendClass(sb, ranges);
            return sb.ToString();
        }

        var plain = new List<(int Lo, int Hi)>();
        var escaped = new List<string>();
        foreach (var (lo, hi) in ranges)
        {
            for (int cp = lo; cp <= Math.Min(hi, 0x1F); cp++)
            {
                escaped.Add(cp switch
                {
                    '\n' => "\"\\\\n\"",
                    '\t' => "\"\\\\t\"",
                    '\r' => "\"\\\\r\"",
                    '\b' => "\"\\\\b\"",
                    '\f' => "\"\\\\f\"",
                    _ => "\"\\\\u00" + cp.ToString("x2", CultureInfo.InvariantCulture) + "\"",
                });
            }

            int l = Math.Max(lo, 0x20);
            if (l > hi)
            {
                continue;
            }

            // Split out '"' (0x22) and '\' (0x5C): they are written escaped.
            foreach (int special in (ReadOnlySpan<int>)['"', '\\'])
            {
                if (l <= special && special <= hi)
                {
                    escaped.Add(special == '"' ? "\"\\\\\\\"\"" : "\"\\\\\\\\\"");
                }
            }

            int a = l;
            foreach (int special in (ReadOnlySpan<int>)['"', '\\'])
            {
                if (a <= special && special <= hi)
                {
                    if (special - 1 >= a)
                    {
                        plain.Add((a, special - 1));
                    }

                    a = special + 1;
                }
            }

            if (a <= hi)
            {
                plain.Add((a, hi));
            }
        }

        var parts = new List<string>();
        if (plain.Count > 0)
        {
            AppendClass(sb, plain);
            parts.Add(sb.ToString());
        }

        parts.AddRange(escaped);
        return parts.Count == 1 ? parts[0] : "(" + string.Join(" | ", parts) + ")";
    }

    private static void AppendClass(StringBuilder sb, List<(int Lo, int Hi)> ranges)
    {
        sb.Append('[');
        foreach (var (lo, hi) in ranges)
        {
            GbnfText.AppendChar(sb, lo, inClass: true);
            if (hi != lo)
            {
                sb.Append('-');
                GbnfText.AppendChar(sb, hi, inClass: true);
            }
        }

        sb.Append(']');
    }

    private bool At(string s) => string.CompareOrdinal(_p, _pos, s, 0, s.Length) == 0;

    private GrammarException Error(string what) =>
        new($"regex '{_p}' at offset {_pos}: {what}");
}
