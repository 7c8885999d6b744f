using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Splits a template into text, {{ output }} and {% statement %} segments ({# comments #} vanish) and
/// tokenizes the expressions. Whitespace control follows Hugging Face's environment: "-" strips on its
/// side, trim_blocks drops the newline after a block tag, lstrip_blocks drops indentation before one.
/// </summary>
internal static class Lexer
{
    public static List<Segment> Split(string src)
    {
        var segments = new List<Segment>();
        int i = 0;
        int line = 1;
        bool stripNextLeading = false;   // "-" on the previous tag's right
        bool trimNextNewline = false;    // trim_blocks after a %} or #}
        var text = new StringBuilder();
        while (i < src.Length)
        {
            int open = FindOpen(src, i);
            int chunkStart = i;
            string chunk = open < 0 ? src[i..] : src[i..open];
            if (stripNextLeading)
            {
                string trimmed = chunk.TrimStart();
                chunkStart += chunk.Length - trimmed.Length;
                chunk = trimmed;
            }
            else if (trimNextNewline && chunk.StartsWith('\n'))
            {
                chunk = chunk[1..];
                chunkStart++;
            }
            else if (trimNextNewline && chunk.StartsWith("\r\n", StringComparison.Ordinal))
            {
                chunk = chunk[2..];
                chunkStart += 2;
            }

            stripNextLeading = false;
            trimNextNewline = false;
            if (open < 0)
            {
                AddText(segments, chunk, line);
                break;
            }

            char kind = src[open + 1];
            bool stripBefore = open + 2 < src.Length && src[open + 2] == '-';
            if (stripBefore)
            {
                chunk = chunk.TrimEnd();
            }
            else if (kind is '%' or '#')
            {
                // lstrip_blocks: spaces and tabs between the line start and a block tag go away.
                int k = chunk.Length;
                while (k > 0 && chunk[k - 1] is ' ' or '\t')
                {
                    k--;
                }

                // A line start is judged in the source: trim_blocks may already have eaten the newline.
                if (k == 0 ? chunkStart == 0 || src[chunkStart - 1] == '\n' : chunk[k - 1] == '\n')
                {
                    chunk = chunk[..k];
                }
            }

            AddText(segments, chunk, line);
            line += Count(src, i, open);
            string close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int bodyStart = open + (stripBefore ? 3 : 2);
            int end = FindClose(src, bodyStart, close);
            if (end < 0)
            {
                throw new ChatTemplateException($"line {line}: unterminated '{src.Substring(open, 2)}' tag");
            }

            bool stripAfter = end > bodyStart && src[end - 1] == '-';
            string body = src[bodyStart..(stripAfter ? end - 1 : end)];
            if (kind == '{')
            {
                segments.Add(new Segment(SegmentKind.Output, body, Tokenize(body, line), line));
            }
            else if (kind == '%')
            {
                segments.Add(new Segment(SegmentKind.Statement, body, Tokenize(body, line), line));
                trimNextNewline = true;
            }
            else
            {
                trimNextNewline = true;
            }

            stripNextLeading = stripAfter;
            line += Count(src, open, end + 2);
            i = end + 2;
        }

        return segments;
    }

    private static void AddText(List<Segment> segments, string text, int line)
    {
        if (text.Length > 0)
        {
            segments.Add(new Segment(SegmentKind.Text, text, [], line));
        }
    }

    private static int Count(string s, int from, int to)
    {
        int n = 0;
        for (int k = from; k < to && k < s.Length; k++)
        {
            if (s[k] == '\n')
            {
                n++;
            }
        }

        return n;
    }

    private static int FindOpen(string s, int from)
    {
        for (int k = from; k + 1 < s.Length; k++)
        {
            if (s[k] == '{' && s[k + 1] is '{' or '%' or '#')
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>Finds the closing delimiter, skipping string literals inside the tag.</summary>
    private static int FindClose(string s, int from, string close)
    {
        char quote = '\0';
        for (int k = from; k + 1 < s.Length; k++)
        {
            char c = s[k];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    k++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (close != "#}" && c is '\'' or '"')
            {
                quote = c;
                continue;
            }

            if (c == close[0] && s[k + 1] == close[1])
            {
                return k;
            }
        }

        return -1;
    }

    private static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"];

    public static List<Token> Tokenize(string s, int line)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c))
            {
                if (c == '\n')
                {
                    line++;
                }

                i++;
                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                int st = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Name, s[st..i], line));
                continue;
            }

            if (char.IsDigit(c))
            {
                int st = i;
                while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }

                bool isFloat = i + 1 < s.Length && s[i] == '.' && char.IsDigit(s[i + 1]);
                if (isFloat)
                {
                    i++;
                    while (i < s.Length && char.IsDigit(s[i]))
                    {
                        i++;
                    }
                }

                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, s[st..i].Replace("_", "", StringComparison.Ordinal), line));
                continue;
            }

            if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                int k = i + 1;
                while (k < s.Length && s[k] != c)
                {
                    if (s[k] == '\\' && k + 1 < s.Length)
                    {
                        k++;
                        sb.Append(s[k] switch
                        {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '0' => '\0',
                            _ => s[k],
                        });
                    }
                    else
                    {
                        sb.Append(s[k]);
                    }

                    k++;
                }

                if (k >= s.Length)
                {
                    throw new ChatTemplateException($"line {line}: unterminated string literal");
                }

                tokens.Add(new Token(TokenKind.String, sb.ToString(), line));
                i = k + 1;
                continue;
            }

            string? op = null;
            foreach (var o in Operators)
            {
                if (string.CompareOrdinal(s, i, o, 0, o.Length) == 0)
                {
                    op = o;
                    break;
                }
            }

            if (op is null)
            {
                throw new ChatTemplateException($"line {line}: unexpected character '{c}'");
            }

            tokens.Add(new Token(TokenKind.Operator, op, line));
            i += op.Length;
        }

        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    public static string Num(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
