using System.Diagnostics;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Attribute and item access as Jinja's sandbox does it: <c>a.b</c> tries the attribute (a method) and then
/// the item, <c>a[b]</c> the item and then the attribute; a miss yields Undefined, and mutating methods
/// (append, pop, update, ...) are unsafe in the immutable sandbox, so they are undefined too.
/// </summary>
internal sealed partial class Interpreter
{
    private static readonly HashSet<string> StringMethods = new(StringComparer.Ordinal)
    {
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "casefold", "startswith",
        "endswith", "split", "rsplit", "splitlines", "replace", "find", "rfind", "index", "rindex", "count", "join",
        "format", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal",
        "removeprefix", "removesuffix", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
    };

    private static readonly HashSet<string> DictMethods = new(StringComparer.Ordinal) { "items", "keys", "values", "get", "copy" };

    private static readonly HashSet<string> ListMethods = new(StringComparer.Ordinal) { "count", "index", "copy" };

    // Python methods that mutate: the immutable sandbox answers them with an "unsafe" undefined (jinja2.sandbox.modifies_known_mutable).
    private static readonly HashSet<string> ListMutators = new(StringComparer.Ordinal) { "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort" };

    private static readonly HashSet<string> DictMutators = new(StringComparer.Ordinal) { "clear", "pop", "popitem", "setdefault", "update" };

    private static bool HasMethod(object obj, string name) => obj switch
    {
        string => StringMethods.Contains(name),
        PyDict => DictMethods.Contains(name),
        GeneratorValue => false,
        List<object?> => ListMethods.Contains(name),
        LoopContext => name is "cycle" or "changed",
        _ => false,
    };

    private object? GetAttr(object? obj, string name)
    {
        switch (Plain(obj))
        {
            case Undefined u:
                throw u.Fail();
            case PyDict d:
                if (DictMethods.Contains(name))
                {
                    return new BoundMethod(d, name);
                }

                if (DictMutators.Contains(name))
                {
                    return Unsafe(name, "dict");
                }

                return d.TryGetValue(name, out var v) ? v : new Undefined($"'dict object' has no attribute '{name}'");
            case Namespace ns:
                return ns.Values.TryGetValue(name, out var nv) ? nv : new Undefined($"'Namespace' object has no attribute '{name}'");
            case LoopContext loop:
                return loop.GetAttribute(name);
            case string s when StringMethods.Contains(name):
                return new BoundMethod(s, name);
            case List<object?> l when l is not GeneratorValue && ListMethods.Contains(name):
                return new BoundMethod(l, name);
            case List<object?> l when l is not GeneratorValue && ListMutators.Contains(name):
                return Unsafe(name, "list");
            default:
                return new Undefined($"'{TypeName(obj)} object' has no attribute '{name}'");
        }
    }

    /// <summary>Jinja's unsafe_undefined: undefined, and using it fails with the sandbox's SecurityError text.</summary>
    private static Undefined Unsafe(string name, string type) => new($"access to attribute '{name}' of '{type}' object is unsafe.");

    private object? GetItem(object? obj, object? key)
    {
        obj = Plain(obj);
        key = Plain(key);
        switch (obj)
        {
            case Undefined u:
                throw u.Fail();
            case GeneratorValue:
                return new Undefined($"'{TypeName(obj)} object' has no attribute '{(key is string ks0 ? ks0 : Str(key))}'");
            case PyDict d:
                {
                    if (key is not Undefined && d.TryGetValue(DictKey(key), out var v))
                    {
                        return v;
                    }

                    return key is string name && DictMethods.Contains(name)
                        ? new BoundMethod(d, name)
                        : new Undefined($"'dict object' has no attribute '{(key is string ks ? ks : Str(key))}'");
                }

            case List<object?> l when key is long or bool:
                {
                    long i = AsLong(key);
                    long at = i < 0 ? i + l.Count : i;
                    return at >= 0 && at < l.Count
                        ? l[(int)at]
                        : new Undefined($"{TypeName(obj)} object has no element {i}");
                }

            case string s when key is long or bool:
                {
                    long i = AsLong(key);
                    long at = i < 0 ? i + s.Length : i;
                    return at >= 0 && at < s.Length
                        ? s[(int)at].ToString()
                        : new Undefined($"str object has no element {i}");
                }

            case Namespace or LoopContext when key is string attr:
                return GetAttr(obj, attr);
            default:
                if (key is string method && obj is not null && HasMethod(obj, method))
                {
                    return new BoundMethod(obj, method);
                }

                return new Undefined($"'{TypeName(obj)} object' has no attribute '{(key is string ks2 ? ks2 : Str(key))}'");
        }
    }

    /// <summary>Python slicing <c>target[start:stop:step]</c> of a list, tuple or string.</summary>
    private object? Slice(object? target, object? start, object? stop, object? step)
    {
        target = Plain(target);
        if (target is Undefined u)
        {
            throw u.Fail();
        }

        int n;
        switch (target)
        {
            case List<object?> l when l is not GeneratorValue:
                n = l.Count;
                break;
            case string s:
                n = s.Length;
                break;
            default:
                // Jinja slices with Python's [] directly (not through its getitem), so these raise.
                throw new TemplateError(target is PyDict ? "unhashable type: 'slice'" : $"'{TypeName(target)}' object is not subscriptable");
        }

        if (!IsSliceIndex(start) || !IsSliceIndex(stop) || !IsSliceIndex(step))
        {
            throw new TemplateError("slice indices must be integers or None or have an __index__ method");
        }

        long st = step is null ? 1 : AsLong(step);
        if (st == 0)
        {
            throw new TemplateError("slice step cannot be zero");
        }

        long lower = st > 0 ? 0 : -1;
        long upper = st > 0 ? n : n - 1;
        long a = Bound(start, st > 0 ? lower : upper);
        long b = Bound(stop, st > 0 ? upper : lower);
        long count = st > 0 ? (b > a ? ((b - a - 1) / st) + 1 : 0) : (a > b ? ((a - b - 1) / -st) + 1 : 0);
        Debug.Assert(count >= 0 && count <= n, "a slice selects at most every item once");
        _budget.Steps(count);

        if (target is string str)
        {
            if (st == 1)
            {
                return str.Substring((int)a, (int)count);
            }

            var sb = new System.Text.StringBuilder((int)count);
            for (long i = a, k = 0; k < count; i += st, k++)
            {
                sb.Append(str[(int)i]);
            }

            return sb.ToString();
        }

        var list = (List<object?>)target!;
        List<object?> result = target is TupleValue ? new TupleValue((int)count) : new List<object?>((int)count);
        for (long i = a, k = 0; k < count; i += st, k++)
        {
            result.Add(list[(int)i]);
        }

        return result;

        long Bound(object? v, long fallback)
        {
            if (v is null)
            {
                return fallback;
            }

            long x = AsLong(v);
            if (x < 0)
            {
                x += n;
                if (x < lower)
                {
                    x = lower;
                }
            }
            else if (x > upper)
            {
                x = upper;
            }

            return x;
        }
    }

    private static bool IsSliceIndex(object? v) => v is null or long or bool;
}
