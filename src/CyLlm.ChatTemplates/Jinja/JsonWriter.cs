using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Python's <c>json.dumps(x, ensure_ascii, indent, separators, sort_keys)</c>, which Hugging Face installs as the
/// <c>tojson</c> filter: ", "/": " separators (item separator "," when indented), floats as Python repr,
/// NaN/Infinity literals, and non-JSON values rejected.
/// </summary>
internal sealed class JsonWriter(RenderBudget budget, string? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii)
{
    private readonly StringBuilder _sb = new();

    public string Write(object? value)
    {
        WriteValue(value, 0);
        return _sb.ToString();
    }

    private void WriteValue(object? value, int depth)
    {
        Debug.Assert(depth >= 0);
        budget.Step();
        RenderBudget.CheckDepth(depth);
        budget.CheckLength(_sb.Length);
        switch (value)
        {
            case null:
                _sb.Append("null");
                break;
            case bool b:
                _sb.Append(b ? "true" : "false");
                break;
            case long l:
                _sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                _sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyNumber.FloatRepr(d));
                break;
            case string s:
                WriteString(s);
                break;
            case Markup m:
                WriteString(m.Value);
                break;
            case GeneratorValue g:
                throw new TemplateError($"Object of type {g.TypeName} is not JSON serializable");
            case List<object?> list:
                if (list.Count == 0)
                {
                    _sb.Append("[]");
                    break;
                }

                _sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    Separate(i, depth + 1);
                    WriteValue(list[i], depth + 1);
                }

                Close(depth, ']');
                break;
            case PyDict dict:
                {
                    if (dict.Count == 0)
                    {
                        _sb.Append("{}");
                        break;
                    }

                    _sb.Append('{');
                    int i = 0;
                    if (sortKeys)
                    {
                        var keys = new List<object>(dict.Keys);
                        try
                        {
                            keys.Sort(CompareKeys);
                        }
                        catch (InvalidOperationException e) when (e.InnerException is TemplateError inner)
                        {
                            // List.Sort wraps comparer failures; surface the template error itself.
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                        }
                        foreach (var key in keys)
                        {
                            Member(key, dict[key], i++, depth);
                        }
                    }
                    else
                    {
                        foreach (var (key, item) in dict)
                        {
                            Member(key, item, i++, depth);
                        }
                    }

                    Close(depth, '}');
                    break;
                }

            default:
                throw new TemplateError($"Object of type {Interpreter.TypeName(value)} is not JSON serializable");
        }
    }

    private void Member(object key, object? item, int i, int depth)
    {
        Separate(i, depth + 1);
        WriteString(KeyText(key));
        _sb.Append(keySeparator);
        WriteValue(item, depth + 1);
    }

    /// <summary>json.dumps turns int, float, bool and None keys into strings; other keys are an error.</summary>
    private static string KeyText(object key) => PyDict.KeyOf(key) switch
    {
        string s => s,
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyNumber.FloatRepr(d),
        var other => throw new TemplateError($"keys must be str, int, float, bool or None, not {Interpreter.TypeName(other)}"),
    };

    /// <summary>sort_keys order: strings with strings, numbers with numbers; mixing them fails as in Python.</summary>
    private static int CompareKeys(object x, object y) => (PyDict.KeyOf(x), PyDict.KeyOf(y)) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (long a, long b) => a.CompareTo(b),
        (long or double or bool, long or double or bool) => Convert.ToDouble(PyDict.KeyOf(x), CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(PyDict.KeyOf(y), CultureInfo.InvariantCulture)),
        _ => throw new TemplateError("'<' not supported between the key types of this dict (sort_keys)"),
    };

    private void Separate(int i, int depth)
    {
        if (i > 0)
        {
            _sb.Append(itemSeparator);
        }

        if (indent is not null)
        {
            _sb.Append('\n');
            for (int k = 0; k < depth; k++)
            {
                _sb.Append(indent);
            }
        }
    }

    private void Close(int depth, char close)
    {
        if (indent is not null)
        {
            _sb.Append('\n');
            for (int k = 0; k < depth; k++)
            {
                _sb.Append(indent);
            }
        }

        _sb.Append(close);
    }

    private void WriteString(string s)
    {
        budget.CheckLength(_sb.Length + (long)s.Length);
        _sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"':
                    _sb.Append("\\\"");
                    break;
                case '\\':
                    _sb.Append("\\\\");
                    break;
                case '\n':
                    _sb.Append("\\n");
                    break;
                case '\r':
                    _sb.Append("\\r");
                    break;
                case '\t':
                    _sb.Append("\\t");
                    break;
                case '\b':
                    _sb.Append("\\b");
                    break;
                case '\f':
                    _sb.Append("\\f");
                    break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e))
                    {
                        _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        _sb.Append(c);
                    }

                    break;
            }
        }

        _sb.Append('"');
    }
}
