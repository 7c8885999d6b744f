using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Jinja2 3.1 built-in filters, with Hugging Face's tojson (json.dumps, no HTML escaping).</summary>
internal sealed partial class Interpreter
{
    private object? ApplyFilter(string name, object? v, Arguments a)
    {
        if (v is Markup markup)
        {
            if (name is "safe" or "escape" or "e")
            {
                // Already safe: escaping again leaves it as it is.
                return markup;
            }

            v = markup.Value;
        }

        switch (name)
        {
            case "tojson":
                return ToJson(v, a);
            case "trim":
                a.Check("trim", 1, "chars");
                return PyText.Strip(StrSoft(v), OptionalString(a.Get(0, "chars", null), "trim"));
            case "upper":
                return StrSoft(v).ToUpperInvariant();
            case "lower":
                return StrSoft(v).ToLowerInvariant();
            case "capitalize":
                return PyText.Capitalize(StrSoft(v));
            case "title":
                return PyText.JinjaTitle(StrSoft(v));
            case "string":
                return StrSoft(v);
            case "safe":
                return new Markup(StrSoft(v));
            case "escape" or "e" or "forceescape":
                return new Markup(Escape(StrSoft(v)));
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.Length,
                    GeneratorValue g => throw new TemplateError($"object of type '{g.TypeName}' has no len()"),
                    List<object?> l => (long)l.Count,
                    PyDict d => (long)d.Count,
                    Undefined => 0L,
                    Namespace ns => (long)ns.Values.Count,
                    _ => throw new TemplateError($"object of type '{TypeName(v)}' has no len()"),
                };
            case "wordcount":
                {
                    long n = 0;
                    bool inWord = false;
                    foreach (char c in StrSoft(v))
                    {
                        bool w = char.IsLetterOrDigit(c) || c == '_';
                        if (w && !inWord)
                        {
                            n++;
                        }

                        inWord = w;
                    }

                    return n;
                }

            case "default" or "d":
                {
                    a.Check(name, 2, "default_value", "boolean");
                    bool boolean = Truthy(a.Get(1, "boolean", false));
                    return v is Undefined || (boolean && !Truthy(v)) ? a.Get(0, "default_value", "") : v;
                }

            case "replace":
                {
                    a.Check("replace", 3, "old", "new", "count");
                    string s = StrSoft(v);
                    string old = StrSoft(a.Get(0, "old", null));
                    string repl = StrSoft(a.Get(1, "new", null));
                    var count = a.Get(2, "count", null);
                    return Replace(s, old, repl, count is null ? -1 : ToIndex(count, "count"));
                }

            case "join":
                return Join(v, a);
            case "first":
                {
                    var items = Iterate(v);
                    return items.Count > 0 ? items[0] : new Undefined("No first item, sequence was empty.");
                }

            case "last":
                {
                    if (v is GeneratorValue gl)
                    {
                        throw new TemplateError($"'{gl.TypeName}' object is not reversible");
                    }

                    var items = Iterate(v);
                    return items.Count > 0 ? items[^1] : new Undefined("No last item, sequence was empty.");
                }

            case "list":
                return new List<object?>(Iterate(v));
            case "reverse":
                {
                    if (v is string rs)
                    {
                        var chars = SplitCodePoints(rs);
                        chars.Reverse();
                        return string.Concat(chars);
                    }

                    if (v is GeneratorValue)
                    {
                        // reversed() refuses generators, so Jinja falls back to a reversed list.
                        var list = new List<object?>(Iterate(v));
                        list.Reverse();
                        return list;
                    }

                    var items = new GeneratorValue(v is TupleValue ? "reversed" : "list_reverseiterator", "");
                    items.AddRange(Iterate(v));
                    items.Reverse();
                    return items;
                }

            case "items":
                {
                    if (v is Undefined)
                    {
                        return new List<object?>();
                    }

                    if (v is not PyDict dict)
                    {
                        throw new TemplateError("Can only get item pairs from a mapping.");
                    }

                    return Generator("do_items", (List<object?>)DictMethod(dict, "items", Arguments.Empty)!);
                }

            case "dictsort":
                return DictSort(v, a);
            case "sort":
                return Sort(v, a);
            case "unique":
                return Generator("do_unique", Unique(v, a));
            case "min" or "max":
                return MinMax(v, a, name == "max");
            case "sum":
                return Sum(v, a);
            case "map":
                return Generator("do_map", Map(v, a));
            case "select" or "reject":
                return Generator("select_or_reject", Select(v, a, name == "select", byAttribute: false));
            case "selectattr" or "rejectattr":
                return Generator("select_or_reject", Select(v, a, name == "selectattr", byAttribute: true));
            case "attr":
                {
                    string attr = RequireString(a.Get(0, "name", null), "attr");
                    return v is PyDict && !DictMethods.Contains(attr) ? new Undefined($"'dict object' has no attribute '{attr}'") : GetAttr(v, attr);
                }

            case "int":
                return ToInt(v, a);
            case "float":
                return ToFloat(v, a);
            case "abs":
                return v switch
                {
                    long l => (object)checked(Math.Abs(l)),
                    double d => Math.Abs(d),
                    bool b => b ? 1L : 0L,
                    Undefined u => throw u.Fail(),
                    _ => throw new TemplateError($"bad operand type for abs(): '{TypeName(v)}'"),
                };
            case "round":
                return Round(v, a);
            case "indent":
                return Indent(v, a);
            case "center":
                {
                    long width = ToIndex(a.Get(0, "width", 80L), "width");
                    string s = StrSoft(v);
                    _budget.CheckLength(width);
                    return width <= s.Length ? s : CenterPad(s, (int)width - s.Length, ' ');
                }

            case "format":
                return PyFormat.Percent(this, StrSoft(v), a.Count == 1 ? a[0] : new TupleValue(a.Positional));
            case "batch":
                return Generator("do_batch", Batch(v, a));
            default:
                throw new TemplateError($"no filter named '{name}'");
        }
    }

    private static GeneratorValue Generator(string origin, List<object?> items)
    {
        var g = new GeneratorValue("generator", origin);
        g.AddRange(items);
        return g;
    }

    /// <summary>Jinja's soft_str: str() of the value, "" for undefined.</summary>
    private string StrSoft(object? v) => v is Undefined ? "" : Str(v);

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => null,
            } ?? c.ToString());
        }

        return sb.ToString();
    }

    private string ToJson(object? v, Arguments a)
    {
        a.Check("tojson", 4, "ensure_ascii", "indent", "separators", "sort_keys");
        bool ensureAscii = Truthy(a.Get(0, "ensure_ascii", false));
        var indentArg = a.Get(1, "indent", null);
        string? indent = indentArg switch
        {
            null => null,
            string s => s,
            long or bool => new string(' ', (int)Math.Clamp(AsLong(indentArg), 0, 64)),
            _ => throw new TemplateError($"indent must be an integer or a string, not {TypeName(indentArg)}"),
        };
        string itemSep = indent is null ? ", " : ",";
        string keySep = ": ";
        if (a.Get(2, "separators", null) is List<object?> { Count: 2 } seps)
        {
            itemSep = RequireString(seps[0], "separators");
            keySep = RequireString(seps[1], "separators");
        }

        bool sortKeys = Truthy(a.Get(3, "sort_keys", false));
        return new JsonWriter(_budget, indent, itemSep, keySep, sortKeys, ensureAscii).Write(v);
    }

    private object? ToInt(object? v, Arguments a)
    {
        a.Check("int", 2, "default", "base");
        var fallback = a.Get(0, "default", 0L);
        long radix = ToIndex(a.Get(1, "base", 10L), "base");
        switch (v)
        {
            case long or bool:
                return AsLong(v);
            case double d:
                return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case Undefined u:
                throw u.Fail();
            case string s:
                {
                    string t = PyText.Strip(s).Replace("_", "", StringComparison.Ordinal);
                    try
                    {
                        if (radix == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                        {
                            return l;
                        }

                        if (radix is 2 or 8 or 16 && t.Length > 0)
                        {
                            return Convert.ToInt64(t, (int)radix);
                        }
                    }
                    catch (FormatException)
                    {
                        return fallback;
                    }
                    catch (ArgumentException)
                    {
                        return fallback;
                    }

                    return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f) ? (long)Math.Truncate(f) : fallback;
                }

            default:
                return fallback;
        }
    }

    private object? ToFloat(object? v, Arguments a)
    {
        a.Check("float", 1, "default");
        var fallback = a.Get(0, "default", 0.0);
        return v switch
        {
            double d => d,
            long or bool => (double)AsLong(v),
            Undefined u => throw u.Fail(),
            string s when double.TryParse(PyText.Strip(s).Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double f) => f,
            string s when PyText.Strip(s).ToLowerInvariant() is "inf" or "+inf" or "infinity" => double.PositiveInfinity,
            string s when PyText.Strip(s).ToLowerInvariant() is "-inf" or "-infinity" => double.NegativeInfinity,
            string s when PyText.Strip(s).ToLowerInvariant() is "nan" => double.NaN,
            _ => fallback,
        };
    }

    private object? Round(object? v, Arguments a)
    {
        a.Check("round", 2, "precision", "method");
        long precision = ToIndex(a.Get(0, "precision", 0L), "precision");
        string method = StrSoft(a.Get(1, "method", "common"));
        if (v is Undefined u)
        {
            throw u.Fail();
        }

        if (method == "common" && v is long or bool && precision >= 0)
        {
            // Python's round() keeps an integer an integer.
            return AsLong(v);
        }

        double x = ToDouble(v!);
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => precision is >= 0 and <= 15 ? Math.Round(x, (int)precision, MidpointRounding.ToEven) : Math.Round(x * scale, MidpointRounding.ToEven) / scale,
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateError("method must be common, ceil or floor"),
        };
    }

    private string Indent(object? v, Arguments a)
    {
        a.Check("indent", 3, "width", "first", "blank");
        var widthArg = a.Get(0, "width", 4L);
        string pad = widthArg is string ps ? ps : new string(' ', (int)Math.Clamp(ToIndex(widthArg, "width"), 0, _budget.MaxChars));
        bool first = Truthy(a.Get(1, "first", false));
        bool blank = Truthy(a.Get(2, "blank", false));
        var lines = PyText.SplitLines(StrSoft(v) + "\n");
        _budget.CheckLength(StrSoft(v).Length + ((long)pad.Length * (lines.Count + 1)));
        var sb = new StringBuilder();
        if (first)
        {
            sb.Append(pad);
        }

        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('\n');
                if (blank || lines[i].Length > 0)
                {
                    sb.Append(pad);
                }
            }

            sb.Append(lines[i]);
        }

        return sb.ToString();
    }

    private List<object?> Batch(object? v, Arguments a)
    {
        long size = ToIndex(a.Get(0, "linecount", null), "linecount");
        if (size <= 0)
        {
            throw new TemplateError("batch size must be positive");
        }

        var fill = a.TryGet(1, "fill_with", out var f) ? f : null;
        bool pad = a.TryGet(1, "fill_with", out _);
        var result = new List<object?>();
        List<object?>? cur = null;
        foreach (var item in Iterate(v))
        {
            cur ??= [];
            cur.Add(item);
            if (cur.Count == size)
            {
                result.Add(cur);
                cur = null;
            }
        }

        if (cur is not null)
        {
            while (pad && cur.Count < size)
            {
                cur.Add(fill);
            }

            result.Add(cur);
        }

        return result;
    }
}
