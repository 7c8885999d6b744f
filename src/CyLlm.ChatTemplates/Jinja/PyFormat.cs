using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python string formatting: <c>"%s" % args</c> (printf style) and <c>str.format</c> without format specs.</summary>
internal static class PyFormat
{
    /// <summary><c>fmt % values</c>: a tuple supplies positional values, a dict named ones (<c>%(name)s</c>).</summary>
    public static string Percent(Interpreter it, string fmt, object? values)
    {
        var positional = values is TupleValue t ? t : null;
        var named = values as PyDict;
        int next = 0;
        var sb = new StringBuilder(fmt.Length + 16);
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }

            if (++i >= fmt.Length)
            {
                throw new TemplateError("incomplete format");
            }

            object? arg = null;
            bool isNamed = fmt[i] == '(';
            if (isNamed)
            {
                int close = fmt.IndexOf(')', i);
                if (close < 0 || named is null)
                {
                    throw new TemplateError("format requires a mapping");
                }

                string key = fmt[(i + 1)..close];
                arg = named.TryGetValue(key, out var nv) ? nv : throw new TemplateError($"KeyError: '{key}'");
                i = close + 1;
            }

            // Flags, width, precision.
            int flagsStart = i;
            while (i < fmt.Length && "-+ #0".Contains(fmt[i], StringComparison.Ordinal))
            {
                i++;
            }

            string flags = fmt[flagsStart..i];
            int width = ReadNumber(fmt, ref i);
            int precision = -1;
            if (i < fmt.Length && fmt[i] == '.')
            {
                i++;
                precision = Math.Max(0, ReadNumber(fmt, ref i));
            }

            if (i >= fmt.Length)
            {
                throw new TemplateError("incomplete format");
            }

            char conv = fmt[i];
            if (conv == '%')
            {
                sb.Append('%');
                continue;
            }

            if (!isNamed)
            {
                if (positional is not null)
                {
                    arg = next < positional.Count ? positional[next++] : throw new TemplateError("not enough arguments for format string");
                }
                else
                {
                    arg = next++ == 0 ? values : throw new TemplateError("not enough arguments for format string");
                }
            }

            string body = conv switch
            {
                's' => it.Str(arg is Undefined ? "" : arg),
                'r' or 'a' => it.Repr(arg),
                'd' or 'i' or 'u' => FormatInteger(arg, flags),
                'f' or 'F' => FormatFixed(arg, precision < 0 ? 6 : precision, flags),
                'x' or 'X' or 'o' => FormatRadix(arg, conv),
                'c' => arg is string cs ? cs : char.ConvertFromUtf32((int)ToLong(arg)),
                _ => throw new TemplateError($"unsupported format character '{conv}'"),
            };
            if (conv is 's' or 'r' && precision >= 0 && body.Length > precision)
            {
                body = body[..precision];
            }

            it.CheckLength((long)sb.Length + Math.Max(width, body.Length));
            Pad(sb, body, width, flags.Contains('-', StringComparison.Ordinal), flags.Contains('0', StringComparison.Ordinal) && conv is not ('s' or 'r'));
        }

        if (positional is not null && next < positional.Count)
        {
            throw new TemplateError("not all arguments converted during string formatting");
        }

        return sb.ToString();
    }

    /// <summary><c>str.format(*args, **kwargs)</c> with {}, {0} and {name} fields; {{ and }} escape braces.</summary>
    public static string Format(Interpreter it, string fmt, Arguments args)
    {
        var sb = new StringBuilder(fmt.Length + 16);
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c == '{' && i + 1 < fmt.Length && fmt[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }

            if (c == '}' && i + 1 < fmt.Length && fmt[i + 1] == '}')
            {
                sb.Append('}');
                i++;
                continue;
            }

            if (c == '}')
            {
                throw new TemplateError("Single '}' encountered in format string");
            }

            if (c != '{')
            {
                sb.Append(c);
                continue;
            }

            int close = fmt.IndexOf('}', i);
            if (close < 0)
            {
                throw new TemplateError("Single '{' encountered in format string");
            }

            string field = fmt[(i + 1)..close];
            if (field.Contains(':', StringComparison.Ordinal) || field.Contains('!', StringComparison.Ordinal))
            {
                throw new TemplateError("format specs and conversions in str.format are not supported");
            }

            object? value;
            if (field.Length == 0)
            {
                value = auto < args.Count ? args[auto++] : throw new TemplateError("Replacement index out of range for positional args tuple");
            }
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                value = index < args.Count ? args[index] : throw new TemplateError($"Replacement index {index} out of range for positional args tuple");
            }
            else
            {
                value = args.Named is not null && args.Named.TryGetValue(field, out var nv) ? nv : throw new TemplateError($"KeyError: '{field}'");
            }

            string text = it.Str(value is Undefined ? "" : value);
            it.CheckLength((long)sb.Length + text.Length);
            sb.Append(text);
            i = close;
        }

        return sb.ToString();
    }

    private static int ReadNumber(string fmt, ref int i)
    {
        int start = i;
        while (i < fmt.Length && char.IsAsciiDigit(fmt[i]))
        {
            i++;
        }

        return i > start ? int.Parse(fmt.AsSpan(start, Math.Min(i - start, 6)), CultureInfo.InvariantCulture) : -1;
    }

    private static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d when double.IsFinite(d) => (long)Math.Truncate(d),
        _ => throw new TemplateError($"%d format: a real number is required, not {Interpreter.TypeName(v)}"),
    };

    private static string FormatInteger(object? v, string flags)
    {
        long x = ToLong(v);
        string s = x.ToString(CultureInfo.InvariantCulture);
        return x >= 0 && flags.Contains('+', StringComparison.Ordinal) ? "+" + s : x >= 0 && flags.Contains(' ', StringComparison.Ordinal) ? " " + s : s;
    }

    private static string FormatFixed(object? v, int precision, string flags)
    {
        double x = v switch
        {
            double d => d,
            long or bool => ToLong(v),
            _ => throw new TemplateError($"must be real number, not {Interpreter.TypeName(v)}"),
        };
        string s = x.ToString("F" + Math.Min(precision, 50).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return x >= 0 && flags.Contains('+', StringComparison.Ordinal) ? "+" + s : s;
    }

    private static string FormatRadix(object? v, char conv)
    {
        long x = ToLong(v);
        string digits = conv == 'o' ? Convert.ToString(Math.Abs(x), 8) : Math.Abs(x).ToString(conv == 'x' ? "x" : "X", CultureInfo.InvariantCulture);
        return x < 0 ? "-" + digits : digits;
    }

    private static void Pad(StringBuilder sb, string body, int width, bool left, bool zero)
    {
        int pad = width - body.Length;
        if (pad <= 0)
        {
            sb.Append(body);
        }
        else if (left)
        {
            sb.Append(body).Append(' ', pad);
        }
        else if (zero && body.Length > 0 && body[0] is '-' or '+')
        {
            sb.Append(body[0]).Append('0', pad).Append(body, 1, body.Length - 1);
        }
        else
        {
            sb.Append(zero ? '0' : ' ', pad).Append(body);
        }
    }
}
