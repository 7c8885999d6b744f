using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>The Python methods templates call on strings, dicts, lists and the loop object.</summary>
internal sealed partial class Interpreter
{
    public object? CallMethod(object target, string name, Arguments args) => Plain(target) switch
    {
        string s => StringMethod(s, name, args),
        PyDict d => DictMethod(d, name, args),
        List<object?> l => ListMethod(l, name, args),
        LoopContext loop => name == "cycle" ? loop.Cycle(args) : loop.Changed(args.Count > 0 ? args[0] : null, ValueEquals),
        _ => throw new TemplateError($"'{TypeName(target)}' object has no method '{name}'"),
    };

    private object? DictMethod(PyDict d, string name, Arguments args)
    {
        switch (name)
        {
            case "items":
                {
                    args.Check("items", 0);
                    var items = new List<object?>(d.Count);
                    foreach (var (k, v) in d)
                    {
                        items.Add(new TupleValue(2) { PyDict.KeyOf(k), v });
                    }

                    return items;
                }

            case "keys":
                args.Check("keys", 0);
                return DictKeys(d);
            case "values":
                args.Check("values", 0);
                return new List<object?>(d.Values);
            case "copy":
                args.Check("copy", 0);
                return new PyDict(d);
            default:
                {
                    args.Check("get", 2);
                    if (args.Count == 0)
                    {
                        throw new TemplateError("get expected at least 1 argument, got 0");
                    }

                    var key = Plain(args[0]);
                    return key is not Undefined && d.TryGetValue(DictKey(key), out var v) ? v : args.Count > 1 ? args[1] : null;
                }
        }
    }

    private object? ListMethod(List<object?> l, string name, Arguments args)
    {
        switch (name)
        {
            case "copy":
                return l is TupleValue ? new TupleValue(l) : new List<object?>(l);
            case "count":
                {
                    args.Check("count", 1);
                    long n = 0;
                    foreach (var x in l)
                    {
                        if (ValueEquals(x, args.Get(0, "value", null)))
                        {
                            n++;
                        }
                    }

                    return n;
                }

            default:
                {
                    args.Check("index", 1);
                    var value = args.Get(0, "value", null);
                    for (int i = 0; i < l.Count; i++)
                    {
                        if (ValueEquals(l[i], value))
                        {
                            return (long)i;
                        }
                    }

                    throw new TemplateError($"{Repr(value)} is not in list");
                }
        }
    }

    private object? StringMethod(string s, string name, Arguments args)
    {
        switch (name)
        {
            case "strip" or "lstrip" or "rstrip":
                {
                    args.Check(name, 1);
                    string? chars = OptionalString(args.Get(0, "chars", null), name);
                    return name switch
                    {
                        "strip" => PyText.Strip(s, chars),
                        "lstrip" => PyText.LStrip(s, chars),
                        _ => PyText.RStrip(s, chars),
                    };
                }

            case "upper":
                return s.ToUpperInvariant();
            case "lower" or "casefold":
                return s.ToLowerInvariant();
            case "title":
                return PyText.PyTitle(s);
            case "capitalize":
                return PyText.Capitalize(s);
            case "swapcase":
                {
                    var sb = new StringBuilder(s.Length);
                    foreach (char c in s)
                    {
                        sb.Append(char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                    }

                    return sb.ToString();
                }

            case "startswith" or "endswith":
                {
                    args.Check(name, 3);
                    var prefix = args.Get(0, "prefix", null);
                    long n = s.Length;
                    long from = ClampIndex(args.Get(1, "start", null), n, 0);
                    long to = ClampIndex(args.Get(2, "end", null), n, n);
                    string part = from < to ? s[(int)from..(int)to] : "";
                    bool starts = name == "startswith";
                    if (prefix is List<object?> options)
                    {
                        foreach (var o in options)
                        {
                            string p = RequireString(o, name);
                            if (starts ? part.StartsWith(p, StringComparison.Ordinal) : part.EndsWith(p, StringComparison.Ordinal))
                            {
                                return true;
                            }
                        }

                        return false;
                    }

                    string single = RequireString(prefix, name);
                    return from > n ? false : starts ? part.StartsWith(single, StringComparison.Ordinal) : part.EndsWith(single, StringComparison.Ordinal);
                }

            case "split" or "rsplit":
                {
                    args.Check(name, 2, "sep", "maxsplit");
                    string? sep = OptionalString(args.Get(0, "sep", null), name);
                    long max = args.TryGet(1, "maxsplit", out var m) ? ToIndex(m, "maxsplit") : -1;
                    if (sep is { Length: 0 })
                    {
                        throw new TemplateError("empty separator");
                    }

                    var parts = sep is null
                        ? (name == "split" ? PyText.SplitWhitespace(s, max) : RSplitWhitespace(s, max))
                        : (name == "split" ? PyText.Split(s, sep, max) : PyText.RSplit(s, sep, max));
                    _budget.Steps(parts.Count);
                    return parts;
                }

            case "splitlines":
                {
                    var lines = PyText.SplitLines(s);
                    _budget.Steps(lines.Count);
                    return lines.ConvertAll(x => (object?)x);
                }

            case "replace":
                {
                    args.Check("replace", 3, "count");
                    string old = RequireString(args.Get(0, "old", null), "replace");
                    string repl = RequireString(args.Get(1, "new", null), "replace");
                    long count = args.TryGet(2, "count", out var c) ? ToIndex(c, "count") : -1;
                    return Replace(s, old, repl, count);
                }

            case "find" or "rfind" or "index" or "rindex":
                {
                    args.Check(name, 3);
                    string sub = RequireString(args.Get(0, "sub", null), name);
                    long n = s.Length;
                    long from = ClampIndex(args.Get(1, "start", null), n, 0);
                    long to = ClampIndex(args.Get(2, "end", null), n, n);
                    int at = -1;
                    if (to - from >= sub.Length)
                    {
                        at = name is "find" or "index"
                            ? s.IndexOf(sub, (int)from, (int)(to - from), StringComparison.Ordinal)
                            : s.LastIndexOf(sub, (int)to - 1 < 0 ? 0 : (int)to - 1, (int)(to - from), StringComparison.Ordinal);
                        if (sub.Length == 0)
                        {
                            at = name is "find" or "index" ? (int)from : (int)to;
                        }
                    }

                    if (at < 0 && name is "index" or "rindex")
                    {
                        throw new TemplateError("substring not found");
                    }

                    return (long)at;
                }

            case "count":
                {
                    args.Check("count", 1);
                    string sub = RequireString(args.Get(0, "sub", null), "count");
                    if (sub.Length == 0)
                    {
                        return (long)s.Length + 1;
                    }

                    long n = 0;
                    for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
                    {
                        n++;
                    }

                    return n;
                }

            case "join":
                {
                    args.Check("join", 1);
                    var items = Iterate(args.Get(0, "iterable", null));
                    var sb = new StringBuilder();
                    for (int i = 0; i < items.Count; i++)
                    {
                        _budget.Step();
                        if (items[i] is not string part)
                        {
                            throw new TemplateError($"sequence item {i}: expected str instance, {TypeName(items[i])} found");
                        }

                        if (i > 0)
                        {
                            sb.Append(s);
                        }

                        _budget.CheckLength((long)sb.Length + part.Length);
                        sb.Append(part);
                    }

                    return sb.ToString();
                }

            case "format":
                return PyFormat.Format(this, s, args);
            case "isdigit" or "isdecimal" or "isnumeric":
                return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha":
                return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum":
                return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace":
                return s.Length > 0 && PyText.AllSpace(s, 0);
            case "islower":
                return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "isupper":
                return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "removeprefix":
                {
                    string p = RequireString(args.Get(0, "prefix", null), name);
                    return s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s;
                }

            case "removesuffix":
                {
                    string p = RequireString(args.Get(0, "suffix", null), name);
                    return p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s;
                }

            case "center" or "ljust" or "rjust" or "zfill":
                {
                    long width = ToIndex(args.Get(0, "width", null), "width");
                    _budget.CheckLength(width);
                    if (width <= s.Length)
                    {
                        return s;
                    }

                    if (name == "zfill")
                    {
                        int sign = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
                        return s[..sign] + new string('0', (int)width - s.Length) + s[sign..];
                    }

                    char fill = args.TryGet(1, "fillchar", out var f) && f is string { Length: 1 } fs ? fs[0] : ' ';
                    int pad = (int)width - s.Length;
                    return name switch
                    {
                        "ljust" => s + new string(fill, pad),
                        "rjust" => new string(fill, pad) + s,
                        _ => CenterPad(s, pad, fill),
                    };
                }

            default:
                {
                    // partition / rpartition
                    string sep = RequireString(args.Get(0, "sep", null), name);
                    if (sep.Length == 0)
                    {
                        throw new TemplateError("empty separator");
                    }

                    int at = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                    if (at < 0)
                    {
                        return name == "partition" ? new TupleValue { s, "", "" } : new TupleValue { "", "", s };
                    }

                    return new TupleValue { s[..at], sep, s[(at + sep.Length)..] };
                }
        }
    }

    /// <summary>Python's str.center: the odd extra space goes left when the padding and the target width are both odd.</summary>
    private static string CenterPad(string s, int pad, char fill)
    {
        int left = (pad / 2) + (pad & (s.Length + pad) & 1);
        return new string(fill, left) + s + new string(fill, pad - left);
    }

    private List<object?> RSplitWhitespace(string s, long max)
    {
        if (max < 0)
        {
            return PyText.SplitWhitespace(s, -1);
        }

        var parts = new List<object?>();
        int e = s.Length;
        while (true)
        {
            while (e > 0 && PyText.IsSpace(s[e - 1]))
            {
                e--;
            }

            if (e == 0)
            {
                break;
            }

            if (parts.Count >= max)
            {
                parts.Add(s[..e]);
                break;
            }

            int st = e;
            while (st > 0 && !PyText.IsSpace(s[st - 1]))
            {
                st--;
            }

            parts.Add(s[st..e]);
            e = st;
        }

        parts.Reverse();
        return parts;
    }

    /// <summary>str.replace with Python's rules (an empty old string inserts between characters), size-checked first.</summary>
    private string Replace(string s, string old, string repl, long count)
    {
        long occurrences;
        if (old.Length == 0)
        {
            occurrences = s.Length + 1;
        }
        else
        {
            occurrences = 0;
            for (int i = s.IndexOf(old, StringComparison.Ordinal); i >= 0; i = s.IndexOf(old, i + old.Length, StringComparison.Ordinal))
            {
                occurrences++;
            }
        }

        if (count >= 0)
        {
            occurrences = Math.Min(occurrences, count);
        }

        _budget.CheckLength(s.Length + (occurrences * (repl.Length - (long)old.Length)));
        _budget.Steps(occurrences);
        if (occurrences == 0)
        {
            return s;
        }

        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            long done = 0;
            for (int i = 0; i <= s.Length; i++)
            {
                if (done < occurrences)
                {
                    sb.Append(repl);
                    done++;
                }

                if (i < s.Length)
                {
                    sb.Append(s[i]);
                }
            }

            return sb.ToString();
        }

        int pos = 0;
        for (long k = 0; k < occurrences; k++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            sb.Append(s, pos, at - pos).Append(repl);
            pos = at + old.Length;
        }

        sb.Append(s, pos, s.Length - pos);
        return sb.ToString();
    }

    private static long ClampIndex(object? v, long n, long fallback)
    {
        if (v is null)
        {
            return fallback;
        }

        long x = ToIndex(v, "slice index");
        if (x < 0)
        {
            x = Math.Max(0, x + n);
        }

        return Math.Min(x, n);
    }

    private static string RequireString(object? v, string function) => v switch
    {
        string s => s,
        Markup m => m.Value,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"{function}() argument must be str, not {TypeName(v)}"),
    };

    private static string? OptionalString(object? v, string function) => v is null ? null : RequireString(v, function);
}
