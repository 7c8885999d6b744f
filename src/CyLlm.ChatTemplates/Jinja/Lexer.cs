using System.Diagnostics;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Turns a template into tokens the way Jinja2's lexer does under Hugging Face's environment
/// (<c>trim_blocks=True, lstrip_blocks=True</c>): newlines are normalized to \n and one trailing newline is
/// dropped; "-" on a tag strips the whitespace on that side, "+" disables lstrip/trim; lstrip_blocks removes
/// whitespace between a line start and a <c>{%</c>/<c>{#</c> tag; trim_blocks drops the newline right after
/// <c>%}</c>/<c>#}</c>. Comments vanish; <c>{% raw %}</c> bodies become text.
/// </summary>
internal sealed partial class Lexer
{
    private readonly string _src;
    private readonly SourceMap _map;
    private readonly List<Token> _tokens = [];
    private int _pos;

    // Jinja's "line_starting": the last consumed match ended with a newline (true at the start).
    private bool _lineStarting = true;

    private Lexer(string normalized)
    {
        Debug.Assert(!normalized.Contains('\r', StringComparison.Ordinal), "newlines are normalized before lexing");
        _src = normalized;
        _map = new SourceMap(normalized);
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(Normalize(source));
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>\r\n and \r become \n; one trailing newline is removed (keep_trailing_newline=False).</summary>
    private static string Normalize(string source)
    {
        string s = source.Contains('\r', StringComparison.Ordinal)
            ? source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n')
            : source;
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private void Run()
    {
        int n = _src.Length;
        while (_pos < n)
        {
            int k = FindTagStart(_pos);
            if (k < 0)
            {
                AddText(_pos, _src[_pos..]);
                _pos = n;
                break;
            }

            char kind = _src[k + 1];
            int after = k + 2;
            char sign = after < n && _src[after] is '-' or '+' ? _src[after] : '\0';
            int rawBodyStart = kind == '%' ? MatchRawBegin(k) : -1;
            AddText(_pos, ControlText(_src[_pos..k], sign, kind == '{'));
            if (rawBodyStart >= 0)
            {
                LexRaw(k, rawBodyStart);
                continue;
            }

            int bodyStart = sign == '\0' ? after : after + 1;
            switch (kind)
            {
                case '#':
                    LexComment(k, bodyStart);
                    break;
                case '{':
                    Add(TokenKind.VariableBegin, "{{", k);
                    _pos = bodyStart;
                    LexTag(k, isBlock: false);
                    break;
                default:
                    Add(TokenKind.BlockBegin, "{%", k);
                    _pos = bodyStart;
                    LexTag(k, isBlock: true);
                    break;
            }
        }

        var (line, col) = _map.Locate(_src.Length);
        _tokens.Add(new Token(TokenKind.Eof, "", line, col));
    }

    /// <summary>Applies "-" (strip all trailing whitespace) or lstrip_blocks to the text before a tag.</summary>
    private string ControlText(string text, char sign, bool isVariable)
    {
        if (sign == '-')
        {
            return PyText.RStrip(text);
        }

        if (sign == '+' || isVariable)
        {
            return text;
        }

        int lpos = text.LastIndexOf('\n') + 1;
        if ((lpos > 0 || _lineStarting) && lpos < text.Length && PyText.AllSpace(text, lpos))
        {
            return text[..lpos];
        }

        return text;
    }

    private int FindTagStart(int from)
    {
        int n = _src.Length;
        for (int i = _src.IndexOf('{', from); i >= 0 && i + 1 < n; i = _src.IndexOf('{', i + 1))
        {
            if (_src[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private void LexComment(int tagStart, int bodyStart)
    {
        int end = _src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("missing end of comment tag '#}'", tagStart);
        }

        char sign = end - 1 >= bodyStart && _src[end - 1] is '-' or '+' ? _src[end - 1] : '\0';
        _pos = end + 2;
        FinishTagEnd(sign);
    }

    /// <summary>After a block or comment end: "-" eats following whitespace, none eats one newline (trim_blocks).</summary>
    private void FinishTagEnd(char sign)
    {
        if (sign == '-')
        {
            SkipSpace();
        }
        else if (sign == '+')
        {
            _lineStarting = false;
        }
        else if (_pos < _src.Length && _src[_pos] == '\n')
        {
            _pos++;
            _lineStarting = true;
        }
        else
        {
            _lineStarting = false;
        }
    }

    /// <summary>Skips whitespace; the last consumed match then ends with a newline only if the whitespace did.</summary>
    private void SkipSpace()
    {
        int start = _pos;
        while (_pos < _src.Length && PyText.IsSpace(_src[_pos]))
        {
            _pos++;
        }

        _lineStarting = _pos > start && _src[_pos - 1] == '\n';
    }

    /// <summary>Matches <c>{%[-+]?\s*raw\s*(-%}\s*|%})</c> at <paramref name="k"/>; returns the body start or -1.</summary>
    private int MatchRawBegin(int k)
    {
        int p = k + 2;
        if (p < _src.Length && _src[p] is '-' or '+')
        {
            p++;
        }

        p = SkipSpaceAt(p);
        if (string.CompareOrdinal(_src, p, "raw", 0, 3) != 0)
        {
            return -1;
        }

        p = SkipSpaceAt(p + 3);
        if (string.CompareOrdinal(_src, p, "-%}", 0, 3) == 0)
        {
            return SkipSpaceAt(p + 3);
        }

        return string.CompareOrdinal(_src, p, "%}", 0, 2) == 0 ? p + 2 : -1;
    }

    private void LexRaw(int tagStart, int bodyStart)
    {
        // The body runs to {%[-+]?\s*endraw\s*(+%}|-%}\s*|%}\n?); whitespace control applies to it as to text.
        _lineStarting = bodyStart > 0 && _src[bodyStart - 1] == '\n';
        for (int k = _src.IndexOf("{%", bodyStart, StringComparison.Ordinal); k >= 0; k = _src.IndexOf("{%", k + 2, StringComparison.Ordinal))
        {
            int p = k + 2;
            char sign = p < _src.Length && _src[p] is '-' or '+' ? _src[p] : '\0';
            if (sign != '\0')
            {
                p++;
            }

            p = SkipSpaceAt(p);
            if (string.CompareOrdinal(_src, p, "endraw", 0, 6) != 0)
            {
                continue;
            }

            p = SkipSpaceAt(p + 6);
            char endSign = p < _src.Length && _src[p] is '-' or '+' ? _src[p] : '\0';
            int close = endSign == '\0' ? p : p + 1;
            if (string.CompareOrdinal(_src, close, "%}", 0, 2) != 0)
            {
                continue;
            }

            AddText(bodyStart, ControlText(_src[bodyStart..k], sign, isVariable: false));
            _pos = close + 2;
            FinishTagEnd(endSign);
            return;
        }

        throw Error("missing '{% endraw %}' for this raw block", tagStart);
    }

    private int SkipSpaceAt(int p)
    {
        while (p < _src.Length && PyText.IsSpace(_src[p]))
        {
            p++;
        }

        return p;
    }

    private void AddText(int offset, string text)
    {
        if (text.Length > 0)
        {
            Add(TokenKind.Text, text, offset);
        }
    }

    private void Add(TokenKind kind, string text, int offset)
    {
        var (line, col) = _map.Locate(offset);
        _tokens.Add(new Token(kind, text, line, col));
    }

    private ChatTemplateException Error(string message, int offset)
    {
        var (line, col) = _map.Locate(offset);
        return new ChatTemplateException(message, ChatTemplateErrorKind.Syntax, line, col);
    }

    private static string Unescape(string body)
    {
        if (!body.Contains('\\', StringComparison.Ordinal))
        {
            return body;
        }

        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\' || i + 1 >= body.Length)
            {
                sb.Append(c);
                continue;
            }

            char e = body[++i];
            switch (e)
            {
                case '\n': break; // line continuation
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': i = AppendHex(sb, body, i, 2); break;
                case 'u': i = AppendHex(sb, body, i, 4); break;
                case 'U': i = AppendHex(sb, body, i, 8); break;
                case >= '0' and <= '7':
                    {
                        int v = 0, len = 0;
                        while (len < 3 && i < body.Length && body[i] is >= '0' and <= '7')
                        {
                            v = (v * 8) + (body[i] - '0');
                            i++;
                            len++;
                        }

                        i--;
                        sb.Append((char)v);
                        break;
                    }

                default:
                    // Python keeps unknown escapes as written.
                    sb.Append('\\').Append(e);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Reads exactly <paramref name="digits"/> hex digits after index <paramref name="at"/>; returns the last index used.</summary>
    private static int AppendHex(StringBuilder sb, string s, int at, int digits)
    {
        int v = 0;
        for (int k = 1; k <= digits; k++)
        {
            int d = at + k < s.Length ? HexValue(s[at + k]) : -1;
            if (d < 0)
            {
                throw new FormatException($"truncated \\{s[at]}XX escape");
            }

            v = (v * 16) + d;
        }

        if (v > 0x10FFFF)
        {
            throw new FormatException($"\\{s[at]} escape out of range");
        }

        // Lone surrogates are kept as UTF-16 code units, as Python keeps them as code points.
        if (v <= 0xFFFF)
        {
            sb.Append((char)v);
        }
        else
        {
            sb.Append(char.ConvertFromUtf32(v));
        }

        return at + digits;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
