using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python/Jinja value semantics: truthiness, string conversion, equality, ordering, JSON.</summary>
internal static class Values
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => s,
        _ => Repr(v),
    };

    private static string Float(double d)
    {
        if (double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 1e16)
        {
            return d.ToString("0.0", CultureInfo.InvariantCulture);
        }

        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string Repr(object? v) => v switch
    {
        string s => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Namespace => "<Namespace>",
        Callable c => $"<function {c.Name}>",
        _ => Str(v),
    };

    public static bool Equal(object? a, object? b)
    {
        if (a is Undefined)
        {
            a = null;
        }

        if (b is Undefined)
        {
            b = null;
        }

        return (a, b) switch
        {
            (null, null) => true,
            (null, _) or (_, null) => false,
            (bool x, bool y) => x == y,
            (long x, long y) => x == y,
            (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static int Compare(object? a, object? b, int line)
    {
        return (a, b) switch
        {
            (long x, long y) => x.CompareTo(y),
            (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
            (string x, string y) => string.CompareOrdinal(x, y),
            _ => throw new ChatTemplateException($"line {line}: cannot compare {TypeName(a)} with {TypeName(b)}"),
        };
    }

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        _ => v.GetType().Name,
    };

    /// <summary>Python json.dumps(ensure_ascii=False) with its default separators, or indented.</summary>
    public static string Json(object? v, int? indent)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, indent, 0);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, int? indent, int depth)
    {
        switch (v)
        {
            case null or Undefined:
                sb.Append("null");
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case long l:
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(Float(d));
                break;
            case string s:
                sb.Append('"');
                foreach (char c in s)
                {
                    switch (c)
                    {
                        case '"': sb.Append("\\\""); break;
                        case '\\': sb.Append("\\\\"); break;
                        case '\n': sb.Append("\\n"); break;
                        case '\r': sb.Append("\\r"); break;
                        case '\t': sb.Append("\\t"); break;
                        case '\b': sb.Append("\\b"); break;
                        case '\f': sb.Append("\\f"); break;
                        default:
                            if (c < 0x20)
                            {
                                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                            }
                            else
                            {
                                sb.Append(c);
                            }

                            break;
                    }
                }

                sb.Append('"');
                break;
            case List<object?> list:
                Container(sb, '[', ']', list.Count, indent, depth, i => WriteJson(sb, list[i], indent, depth + 1));
                break;
            case Dictionary<string, object?> dict:
            {
                var items = dict.ToList();
                Container(sb, '{', '}', items.Count, indent, depth, i =>
                {
                    WriteJson(sb, items[i].Key, indent, depth + 1);
                    sb.Append(": ");
                    WriteJson(sb, items[i].Value, indent, depth + 1);
                });
                break;
            }

            default:
                WriteJson(sb, Str(v), indent, depth);
                break;
        }
    }

    private static void Container(StringBuilder sb, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }

        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sb.Append(indent is null ? ", " : ",");
            }

            if (indent is int n)
            {
                sb.Append('\n').Append(' ', n * (depth + 1));
            }

            item(i);
        }

        if (indent is int m)
        {
            sb.Append('\n').Append(' ', m * depth);
        }

        sb.Append(close);
    }

    /// <summary>Converts CLR values from callers into template values.</summary>
    public static object? FromClr(object? v) => v switch
    {
        null => null,
        string or bool or long or double => v,
        int i => (long)i,
        float f => (double)f,
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromClr(kv.Value), StringComparer.Ordinal),
        System.Collections.IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => Str(v),
    };
}
