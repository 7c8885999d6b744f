using System.Globalization;
using System.Runtime.CompilerServices;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Parses llama.cpp's GBNF: <c>name ::= alternatives</c> rules, "literals" with escapes, [classes] and [^negated]
/// classes, groups, <c>|</c>, <c>* + ?</c>, <c>{m}</c> <c>{m,}</c> <c>{m,n}</c>, <c>.</c> and # comments. A rule ends at a
/// newline followed by the next <c>name ::=</c> (or the end), so continuation lines need no parentheses.
/// </summary>
internal sealed class GbnfParser
{
    private readonly string _s;
    private readonly GrammarBuilder _b;
    private int _pos;
    private string _rule = "";

    private GbnfParser(string text, GrammarBuilder builder)
    {
        _s = text;
        _b = builder;
    }

    /// <summary>Parses every rule of <paramref name="text"/> into <paramref name="builder"/>.</summary>
    public static void Parse(string text, GrammarBuilder builder) => new GbnfParser(text, builder).ParseAll();

    private void ParseAll()
    {
        SkipSpace(newlines: true);
        if (_pos >= _s.Length)
        {
            throw new GrammarException("the grammar is empty");
        }

        while (_pos < _s.Length)
        {
            string name = ParseName();
            _rule = name;
            SkipSpace(newlines: false);
            if (!At("::="))
            {
                throw Error($"expected '::=' after rule name '{name}'");
            }

            _pos += 3;
            SkipSpace(newlines: true);
            var alts = ParseAlternates();
            _b.Define(_b.RuleId(name), alts);
            SkipSpace(newlines: true);
        }
    }

    private List<int[]> ParseAlternates()
    {
        var alts = new List<int[]> { ParseSequence() };
        while (_pos < _s.Length && _s[_pos] == '|')
        {
            _pos++;
            SkipSpace(newlines: true);
            alts.Add(ParseSequence());
        }

        return alts;
    }

    private int[] ParseSequence()
    {
        var seq = new List<int>();
        while (true)
        {
            SkipSpace(newlines: true);
            if (_pos >= _s.Length)
            {
                break;
            }

            char c = _s[_pos];
            if (c == '|' || c == ')')
            {
                break;
            }

            int element;
            if (c == '"')
            {
                _pos++;
                var lit = new List<int>();
                while (true)
                {
                    if (_pos >= _s.Length)
                    {
                        throw Error("unterminated string literal");
                    }

                    if (_s[_pos] == '"')
                    {
                        _pos++;
                        break;
                    }

                    int cp = ParseChar(inClass: false);
                    _b.AppendLiteral(lit, char.ConvertFromUtf32(cp));
                }

                if (!NextIsRepetition())
                {
                    seq.AddRange(lit);
                    continue;
                }

                // A multi-byte literal under a repetition operator is a group.
                element = lit.Count == 1 ? lit[0] : GroupOf([[.. lit]]);
            }
            else if (c == '[')
            {
                element = ParseClass();
            }
            else if (c == '.')
            {
                _pos++;
                element = _b.CharClass([(0, 0x10FFFF)], negated: false, _rule);
            }
            else if (c == '(')
            {
                // The parser recurses per group: nested parentheses in a hostile grammar must be an error, not a
                // stack overflow that ends the process. The bound is the stack left, not a count, so every depth the
                // thread can hold is accepted.
                if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
                {
                    throw Error("groups nest too deeply");
                }

                _pos++;
                SkipSpace(newlines: true);
                var alts = ParseAlternates();
                SkipSpace(newlines: true);
                if (_pos >= _s.Length || _s[_pos] != ')')
                {
                    throw Error("expected ')'");
                }

                _pos++;
                element = GroupOf(alts);
            }
            else if (IsNameChar(c))
            {
                int save = _pos;
                string name = ParseName();
                // "name ::=" starts the next rule: the current one ended at the previous line.
                int after = _pos;
                SkipSpace(newlines: false);
                if (At("::="))
                {
                    _pos = save;
                    break;
                }

                _pos = after;
                element = GrammarBuilder.Ref(_b.RuleId(name));
            }
            else
            {
                throw Error($"unexpected character '{c}'");
            }

            ApplyRepetition(seq, element);
        }

        return [.. seq];
    }

    private int GroupOf(List<int[]> alts)
    {
        if (alts.Count == 1 && alts[0].Length == 1)
        {
            return alts[0][0];
        }

        return GrammarBuilder.Ref(_b.Helper(_rule, alts));
    }

    private bool NextIsRepetition()
    {
        if (_pos >= _s.Length)
        {
            return false;
        }

        char c = _s[_pos];
        return c is '*' or '+' or '?' or '{';
    }

    private void ApplyRepetition(List<int> seq, int element)
    {
        if (_pos >= _s.Length)
        {
            seq.Add(element);
            return;
        }

        switch (_s[_pos])
        {
            case '*':
                _pos++;
                _b.AppendRepeat(seq, element, 0, -1, _rule);
                return;
            case '+':
                _pos++;
                _b.AppendRepeat(seq, element, 1, -1, _rule);
                return;
            case '?':
                _pos++;
                _b.AppendRepeat(seq, element, 0, 1, _rule);
                return;
            case '{':
                _pos++;
                SkipSpace(newlines: false);
                int min = ParseInt(allowMissing: true) ?? 0;
                SkipSpace(newlines: false);
                int max = min;
                if (_pos < _s.Length && _s[_pos] == ',')
                {
                    _pos++;
                    SkipSpace(newlines: false);
                    max = ParseInt(allowMissing: true) ?? -1;
                    SkipSpace(newlines: false);
                }

                if (_pos >= _s.Length || _s[_pos] != '}')
                {
                    throw Error("expected '}' closing the repetition");
                }

                _pos++;
                if (max >= 0 && max < min)
                {
                    throw Error($"repetition {{{min},{max}}} has max < min");
                }

                _b.AppendRepeat(seq, element, min, max, _rule);
                return;
            default:
                seq.Add(element);
                return;
        }
    }

    private int? ParseInt(bool allowMissing)
    {
        int start = _pos;
        while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            return allowMissing ? null : throw Error("expected a number");
        }

        if (!int.TryParse(_s.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v > GrammarBuilder.MaxRepetition)
        {
            throw Error($"repetition bound above {GrammarBuilder.MaxRepetition} is not supported");
        }

        return v;
    }

    private int ParseClass()
    {
        _pos++;
        bool negated = false;
        if (_pos < _s.Length && _s[_pos] == '^')
        {
            negated = true;
            _pos++;
        }

        var ranges = new List<(int, int)>();
        while (true)
        {
            if (_pos >= _s.Length)
            {
                throw Error("unterminated character class");
            }

            if (_s[_pos] == ']')
            {
                _pos++;
                break;
            }

            int lo = ParseChar(inClass: true);
            int hi = lo;
            if (_pos + 1 < _s.Length && _s[_pos] == '-' && _s[_pos + 1] != ']')
            {
                _pos++;
                hi = ParseChar(inClass: true);
                if (hi < lo)
                {
                    throw Error($"character range is out of order (U+{lo:X4}-U+{hi:X4})");
                }
            }

            ranges.Add((lo, hi));
        }

        if (ranges.Count == 0 && !negated)
        {
            throw Error("empty character class");
        }

        return _b.CharClass(ranges, negated, _rule);
    }

    /// <summary>One character of a literal or class, escapes decoded; returns its code point.</summary>
    private int ParseChar(bool inClass)
    {
        char c = _s[_pos];
        if (c != '\\')
        {
            if (char.IsHighSurrogate(c) && _pos + 1 < _s.Length && char.IsLowSurrogate(_s[_pos + 1]))
            {
                _pos += 2;
                return char.ConvertToUtf32(c, _s[_pos - 1]);
            }

            _pos++;
            return c;
        }

        if (_pos + 1 >= _s.Length)
        {
            throw Error("dangling escape '\\'");
        }

        char e = _s[_pos + 1];
        _pos += 2;
        switch (e)
        {
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case '0': return 0;
            case '\\': case '"': case '[': case ']': case '/': case '\'': return e;
            case '-' when inClass: return '-';
            case '^' when inClass: return '^';
            case 'x': return ParseHex(2);
            case 'u': return ParseHex(4);
            case 'U': return ParseHex(8);
            default: throw Error($"unknown escape '\\{e}'");
        }
    }

    private int ParseHex(int digits)
    {
        if (_pos + digits > _s.Length || !int.TryParse(_s.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
        {
            throw Error($"expected {digits} hex digits in an escape");
        }

        _pos += digits;
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        {
            throw Error($"escape U+{v:X} is not a Unicode scalar value");
        }

        return v;
    }

    private string ParseName()
    {
        int start = _pos;
        while (_pos < _s.Length && IsNameChar(_s[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error(_pos < _s.Length ? $"expected a rule name, found '{_s[_pos]}'" : "expected a rule name at the end of the grammar");
        }

        return _s[start.._pos];
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_';

    private bool At(string token) => string.CompareOrdinal(_s, _pos, token, 0, token.Length) == 0;

    private void SkipSpace(bool newlines)
    {
        while (_pos < _s.Length)
        {
            char c = _s[_pos];
            if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r')))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _s.Length && _s[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }
    }

    private GrammarException Error(string what)
    {
        int line = 1;
        int col = 1;
        for (int i = 0; i < _pos && i < _s.Length; i++)
        {
            if (_s[i] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }

        string rule = _rule.Length > 0 ? $" in rule '{_rule}'" : "";
        return new GrammarException($"GBNF parse error at line {line}, column {col}{rule}: {what}");
    }
}
