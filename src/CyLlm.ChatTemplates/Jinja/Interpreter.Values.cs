using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python value semantics: truthiness, str/repr, equality, ordering, iteration, type names.</summary>
internal sealed partial class Interpreter
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        GeneratorValue => true,
        List<object?> l => l.Count > 0,
        PyDict d => d.Count > 0,
        Markup m => m.Value.Length > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        TupleValue => "tuple",
        GeneratorValue g => g.TypeName,
        List<object?> => "list",
        PyDict => "dict",
        Markup => "Markup",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        MacroValue => "Macro",
        BoundMethod => "builtin_function_or_method",
        Callable => "function",
        _ => v.GetType().Name,
    };

    /// <summary>Python str(): what <c>{{ value }}</c> prints.</summary>
    public string Str(object? v) => v switch
    {
        string s => s,
        Markup m => m.Value,
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyNumber.FloatRepr(d),
        _ => Repr(v),
    };

    public string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, 0);
        return sb.ToString();
    }

    private void AppendRepr(StringBuilder sb, object? v, int depth)
    {
        _budget.Step();
        RenderBudget.CheckDepth(depth);
        _budget.CheckLength(sb.Length);
        switch (v)
        {
            case string s:
                PyText.AppendRepr(sb, s);
                break;
            case GeneratorValue g:
                sb.Append('<').Append(g.TypeName).Append(" object").Append(g.Origin.Length > 0 ? " " + g.Origin : "").Append('>');
                break;
            case TupleValue t:
                sb.Append('(');
                for (int i = 0; i < t.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    AppendRepr(sb, t[i], depth + 1);
                }

                sb.Append(t.Count == 1 ? ",)" : ")");
                break;
            case List<object?> l:
                sb.Append('[');
                for (int i = 0; i < l.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    AppendRepr(sb, l[i], depth + 1);
                }

                sb.Append(']');
                break;
            case PyDict d:
                sb.Append('{');
                bool first = true;
                foreach (var (k, item) in d)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    AppendRepr(sb, PyDict.KeyOf(k), depth + 1);
                    sb.Append(": ");
                    AppendRepr(sb, item, depth + 1);
                }

                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendDictRepr(sb, ns.Values, depth);
                sb.Append('>');
                break;
            case Markup mk:
                sb.Append("Markup(");
                PyText.AppendRepr(sb, mk.Value);
                sb.Append(')');
                break;
            case Undefined:
                sb.Append("Undefined");
                break;
            case Callable c:
                sb.Append("<function ").Append(c.Name).Append('>');
                break;
            case LoopContext lc:
                sb.Append("<LoopContext ").Append(lc.Index0 + 1).Append('/').Append(lc.Length).Append('>');
                break;
            case null or bool or long or double:
                sb.Append(Str(v));
                break;
            default:
                sb.Append('<').Append(TypeName(v)).Append('>');
                break;
        }
    }

    private void AppendDictRepr(StringBuilder sb, Dictionary<string, object?> d, int depth)
    {
        sb.Append('{');
        bool first = true;
        foreach (var (k, item) in d)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            PyText.AppendRepr(sb, k);
            sb.Append(": ");
            AppendRepr(sb, item, depth + 1);
        }

        sb.Append('}');
    }

    /// <summary>Python ==: numbers across int/float/bool, element-wise for lists and dicts, identity otherwise.</summary>
    public bool ValueEquals(object? a, object? b) => ValueEquals(a, b, 0);

    private bool ValueEquals(object? a, object? b, int depth)
    {
        _budget.Step();
        RenderBudget.CheckDepth(depth);
        a = Plain(a);
        b = Plain(b);
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        switch (a)
        {
            case null:
                return false;
            case Undefined:
                return b is Undefined;
            case string s:
                return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case bool or long or double:
                return IsNumber(b) && NumericEquals(a, b!);
            case List<object?> l:
                {
                    if (b is not List<object?> m || (a is TupleValue) != (b is TupleValue) || a is GeneratorValue || b is GeneratorValue || l.Count != m.Count)
                    {
                        return false;
                    }

                    for (int i = 0; i < l.Count; i++)
                    {
                        if (!ValueEquals(l[i], m[i], depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            case PyDict d:
                {
                    if (b is not PyDict e || d.Count != e.Count)
                    {
                        return false;
                    }

                    foreach (var (k, item) in d)
                    {
                        if (!e.TryGetValue(k, out var other) || !ValueEquals(item, other, depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            default:
                return false;
        }
    }

    private static bool IsNumber(object? v) => v is bool or long or double;

    private static bool NumericEquals(object a, object b)
    {
        if (a is double || b is double)
        {
            return ToDouble(a) == ToDouble(b);
        }

        return AsLong(a) == AsLong(b);
    }

    /// <summary>Python ordering (&lt;): numbers, strings, and lists/tuples lexicographically.</summary>
    private int CompareOrder(object? a, object? b, string op, int depth = 0)
    {
        _budget.Step();
        RenderBudget.CheckDepth(depth);
        a = Plain(a);
        b = Plain(b);
        if (a is Undefined ua)
        {
            throw ua.Fail();
        }

        if (b is Undefined ub)
        {
            throw ub.Fail();
        }

        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double)
            {
                return ToDouble(a!).CompareTo(ToDouble(b!));
            }

            return AsLong(a!).CompareTo(AsLong(b!));
        }

        if (a is string s && b is string t)
        {
            return Math.Sign(string.CompareOrdinal(s, t));
        }

        if (a is List<object?> l && b is List<object?> m && (a is TupleValue) == (b is TupleValue) && a is not GeneratorValue && b is not GeneratorValue)
        {
            int n = Math.Min(l.Count, m.Count);
            for (int i = 0; i < n; i++)
            {
                if (!ValueEquals(l[i], m[i], depth + 1))
                {
                    return CompareOrder(l[i], m[i], op, depth + 1);
                }
            }

            return l.Count.CompareTo(m.Count);
        }

        throw new TemplateError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>The items a for loop (or list()) sees: list items, dict keys, string characters.</summary>
    private static List<object?> Iterate(object? v) => v switch
    {
        GeneratorValue g => g.Consume(),
        List<object?> l => l,
        PyDict d => DictKeys(d),
        string s => SplitCodePoints(s),
        Markup m => SplitCodePoints(m.Value),
        Undefined => [],
        LoopContext lc => lc.Items,
        _ => throw new TemplateError($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>A dict's keys as the template sees them.</summary>
    private static List<object?> DictKeys(PyDict d)
    {
        var keys = new List<object?>(d.Count);
        foreach (var k in d.Keys)
        {
            keys.Add(PyDict.KeyOf(k));
        }

        return keys;
    }

    /// <summary>A Markup value as the plain string it stands for; anything else unchanged.</summary>
    private static object? Plain(object? v) => v is Markup m ? m.Value : v;

    /// <summary>A string's characters as Python sees them (a surrogate pair is one character).</summary>
    private static List<object?> SplitCodePoints(string s)
    {
        var list = new List<object?>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                list.Add(s[i].ToString());
            }
        }

        return list;
    }

    private static long AsLong(object v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateError($"'{TypeName(v)}' object cannot be interpreted as an integer"),
    };

    private static double ToDouble(object v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateError($"must be real number, not {TypeName(v)}"),
    };

    /// <summary>An integer argument (bools count); anything else fails with <paramref name="what"/>.</summary>
    private static long ToIndex(object? v, string what) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"{what} must be an integer, not '{TypeName(v)}'"),
    };
}
