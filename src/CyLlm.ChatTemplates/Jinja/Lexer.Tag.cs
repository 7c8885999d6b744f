using System.Globalization;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Expression tokens inside <c>{{ }}</c> and <c>{% %}</c>.</summary>
internal sealed partial class Lexer
{
    private static readonly string[] TwoCharOperators = ["//", "**", "==", "!=", ">=", "<="];
    private const string OneCharOperators = "+-/*%~[](){}><=.:|,;";

    /// <summary>Tokenizes from <see cref="_pos"/> to the tag's end; brackets must balance before the end counts.</summary>
    private void LexTag(int tagStart, bool isBlock)
    {
        // Expected closing brackets, innermost last (Jinja's balancing_stack).
        var closers = new List<char>();
        int n = _src.Length;
        while (true)
        {
            if (_pos >= n)
            {
                throw Error(isBlock ? "unterminated '{%' tag (missing '%}')" : "unterminated '{{' tag (missing '}}')", tagStart);
            }

            if (closers.Count == 0 && TryTagEnd(isBlock))
            {
                return;
            }

            char c = _src[_pos];
            if (PyText.IsSpace(c))
            {
                _pos++;
                continue;
            }

            if (char.IsAsciiDigit(c))
            {
                LexNumber();
                continue;
            }

            if (IsNameStart(c))
            {
                int start = _pos;
                while (_pos < n && IsNamePart(_src[_pos]))
                {
                    _pos++;
                }

                Add(TokenKind.Name, _src[start.._pos], start);
                continue;
            }

            if (c is '\'' or '"')
            {
                LexString();
                continue;
            }

            LexOperator(closers);
        }
    }

    private bool TryTagEnd(bool isBlock)
    {
        int p = _pos;
        if (isBlock)
        {
            char sign = _src[p] is '-' or '+' ? _src[p] : '\0';
            int close = sign == '\0' ? p : p + 1;
            if (string.CompareOrdinal(_src, close, "%}", 0, 2) != 0)
            {
                return false;
            }

            Add(TokenKind.BlockEnd, "%}", p);
            _pos = close + 2;
            FinishTagEnd(sign);
            return true;
        }

        if (string.CompareOrdinal(_src, p, "-}}", 0, 3) == 0)
        {
            Add(TokenKind.VariableEnd, "}}", p);
            _pos = p + 3;
            SkipSpace();
            return true;
        }

        if (string.CompareOrdinal(_src, p, "}}", 0, 2) == 0)
        {
            Add(TokenKind.VariableEnd, "}}", p);
            _pos = p + 2;
            _lineStarting = false;
            return true;
        }

        return false;
    }

    private void LexOperator(List<char> closers)
    {
        int p = _pos;
        string? op = null;
        foreach (var two in TwoCharOperators)
        {
            if (string.CompareOrdinal(_src, p, two, 0, 2) == 0)
            {
                op = two;
                break;
            }
        }

        if (op is null)
        {
            if (OneCharOperators.Contains(_src[p], StringComparison.Ordinal))
            {
                op = _src[p].ToString();
            }
            else
            {
                throw Error($"unexpected character '{_src[p]}'", p);
            }
        }

        switch (op)
        {
            case "(":
                closers.Add(')');
                break;
            case "[":
                closers.Add(']');
                break;
            case "{":
                closers.Add('}');
                break;
            case ")" or "]" or "}":
                if (closers.Count == 0)
                {
                    throw Error($"unexpected '{op}'", p);
                }

                if (closers[^1] != op[0])
                {
                    throw Error($"unexpected '{op}', expected '{closers[^1]}'", p);
                }

                closers.RemoveAt(closers.Count - 1);
                break;
        }

        Add(TokenKind.Operator, op, p);
        _pos = p + op.Length;
    }

    private void LexString()
    {
        int start = _pos;
        char quote = _src[start];
        int p = start + 1;
        while (p < _src.Length && _src[p] != quote)
        {
            p += _src[p] == '\\' ? 2 : 1;
        }

        if (p >= _src.Length)
        {
            throw Error("unterminated string literal", start);
        }

        string value;
        try
        {
            value = Unescape(_src[(start + 1)..p]);
        }
        catch (FormatException e)
        {
            throw Error(e.Message, start);
        }

        Add(TokenKind.String, value, start);
        _pos = p + 1;
    }

    /// <summary>Jinja's float_re, then integer_re (with 0b/0o/0x prefixes and "_" digit separators).</summary>
    private void LexNumber()
    {
        int start = _pos;
        bool afterDot = start > 0 && _src[start - 1] == '.';
        if (!afterDot)
        {
            int intEnd = ScanDigits(start);
            int fracEnd = -1;
            if (intEnd < _src.Length && _src[intEnd] == '.')
            {
                int f = ScanDigits(intEnd + 1);
                if (f > intEnd + 1)
                {
                    fracEnd = f;
                }
            }

            int mantissaEnd = fracEnd >= 0 ? fracEnd : intEnd;
            int expEnd = ScanExponent(mantissaEnd);
            if (expEnd < 0 && fracEnd >= 0)
            {
                expEnd = fracEnd;
            }

            if (expEnd > 0)
            {
                Add(TokenKind.Float, _src[start..expEnd], start);
                _pos = expEnd;
                return;
            }
        }

        int end = ScanInteger(start);
        Add(TokenKind.Integer, _src[start..end], start);
        _pos = end;
    }

    /// <summary>Matches <c>(\d+_)*\d+</c> at <paramref name="p"/>; returns its end (p when nothing matched).</summary>
    private int ScanDigits(int p)
    {
        int n = _src.Length;
        if (p >= n || !char.IsAsciiDigit(_src[p]))
        {
            return p;
        }

        while (true)
        {
            while (p < n && char.IsAsciiDigit(_src[p]))
            {
                p++;
            }

            if (p + 1 < n && _src[p] == '_' && char.IsAsciiDigit(_src[p + 1]))
            {
                p++;
                continue;
            }

            return p;
        }
    }

    /// <summary>Matches <c>e[+-]?(\d+_)*\d+</c>; returns its end or -1.</summary>
    private int ScanExponent(int p)
    {
        if (p >= _src.Length || _src[p] is not ('e' or 'E'))
        {
            return -1;
        }

        int q = p + 1;
        if (q < _src.Length && _src[q] is '+' or '-')
        {
            q++;
        }

        int end = ScanDigits(q);
        return end > q ? end : -1;
    }

    private int ScanInteger(int p)
    {
        int n = _src.Length;
        if (_src[p] == '0' && p + 1 < n)
        {
            char b = char.ToLowerInvariant(_src[p + 1]);
            Func<char, bool>? digit = b switch
            {
                'b' => ch => ch is '0' or '1',
                'o' => ch => ch is >= '0' and <= '7',
                'x' => char.IsAsciiHexDigit,
                _ => null,
            };
            if (digit is not null)
            {
                // (_?[digits])+ after the prefix.
                int q = p + 2;
                int last = -1;
                while (q < n)
                {
                    if (digit(_src[q]))
                    {
                        q++;
                        last = q;
                    }
                    else if (_src[q] == '_' && q + 1 < n && digit(_src[q + 1]))
                    {
                        q += 2;
                        last = q;
                    }
                    else
                    {
                        break;
                    }
                }

                if (last > 0)
                {
                    return last;
                }
            }
        }

        char keep = _src[p] == '0' ? '0' : '\0';
        int e = p + 1;
        while (e < n)
        {
            bool ok = keep == '0' ? _src[e] == '0' : char.IsAsciiDigit(_src[e]);
            bool underscored = _src[e] == '_' && e + 1 < n && (keep == '0' ? _src[e + 1] == '0' : char.IsAsciiDigit(_src[e + 1]));
            if (ok)
            {
                e++;
            }
            else if (underscored)
            {
                e += 2;
            }
            else
            {
                break;
            }
        }

        return e;
    }

    private static bool IsNameStart(char c) => c == '_' || char.IsLetter(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber;

    private static bool IsNamePart(char c)
    {
        if (c == '_' || char.IsLetterOrDigit(c))
        {
            return true;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.LetterNumber;
    }
}
