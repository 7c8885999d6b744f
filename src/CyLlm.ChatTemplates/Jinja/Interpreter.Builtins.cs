using System.Globalization;

namespace CyLlm.ChatTemplates.Jinja;

internal sealed partial class Interpreter
{
    private Dictionary<string, object?> Builtins() => new(StringComparer.Ordinal)
    {
        ["range"] = new Callable("range", (a, _) =>
        {
            long start = 0, stop, step = 1;
            if (a.Count == 1)
            {
                stop = ToLong(a[0]);
            }
            else
            {
                start = ToLong(a[0]);
                stop = ToLong(a[1]);
                step = a.Count > 2 ? ToLong(a[2]) : 1;
            }

            if (step == 0)
            {
                throw new ChatTemplateException("range() step must not be zero");
            }

            long count = Math.Max(0, (stop - start + step - Math.Sign(step)) / step);
            if (count > 100_000)
            {
                throw new ChatTemplateException($"range() of {count} items is too large for a chat template");
            }

            var l = new List<object?>((int)count);
            for (long i = 0; i < count; i++)
            {
                l.Add(start + (i * step));
            }

            return l;
        }),
        ["namespace"] = new Callable("namespace", (a, kw) =>
        {
            var ns = new Namespace();
            if (a.Count > 0 && a[0] is Dictionary<string, object?> d)
            {
                foreach (var (k, v) in d)
                {
                    ns.Values[k] = v;
                }
            }

            foreach (var (k, v) in kw)
            {
                ns.Values[k] = v;
            }

            return ns;
        }),
        ["dict"] = new Callable("dict", (_, kw) => new Dictionary<string, object?>(kw, StringComparer.Ordinal)),
        ["raise_exception"] = new Callable("raise_exception", (a, _) =>
            throw new ChatTemplateException(a.Count > 0 ? Values.Str(a[0]) : "raise_exception() called")),
        ["strftime_now"] = new Callable("strftime_now", (a, _) => Strftime(_time.GetLocalNow(), a.Count > 0 ? Values.Str(a[0]) : "%Y-%m-%d")),
    };

    private static long ToLong(object? v) => v switch
    {
        long l => l,
        double d => (long)d,
        bool b => b ? 1 : 0,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => throw new ChatTemplateException($"expected an integer, got {Values.TypeName(v)}"),
    };

    private static string Strftime(DateTimeOffset t, string fmt)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length)
            {
                sb.Append(fmt[i]);
                continue;
            }

            char c = fmt[++i];
            sb.Append(c switch
            {
                'Y' => t.Year.ToString("0000", CultureInfo.InvariantCulture),
                'm' => t.Month.ToString("00", CultureInfo.InvariantCulture),
                'd' => t.Day.ToString("00", CultureInfo.InvariantCulture),
                'H' => t.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => t.Minute.ToString("00", CultureInfo.InvariantCulture),
                'S' => t.Second.ToString("00", CultureInfo.InvariantCulture),
                'b' => t.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => t.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => t.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => t.ToString("dddd", CultureInfo.InvariantCulture),
                'y' => t.ToString("yy", CultureInfo.InvariantCulture),
                'j' => t.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + c,
            });
        }

        return sb.ToString();
    }

    private object? GetAttr(object? target, string name, int line)
    {
        switch (target)
        {
            case Dictionary<string, object?> d:
                if (d.TryGetValue(name, out var v))
                {
                    return v;
                }

                return name switch
                {
                    "items" => new Callable("items", (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
                    "keys" => new Callable("keys", (_, _) => d.Keys.Cast<object?>().ToList()),
                    "values" => new Callable("values", (_, _) => d.Values.ToList()),
                    "get" => new Callable("get", (a, _) => a.Count > 0 && d.TryGetValue(Values.Str(a[0]), out var x) ? x : a.Count > 1 ? a[1] : null),
                    _ => Undefined.Instance,
                };
            case Namespace ns:
                return ns.Values.TryGetValue(name, out var nv) ? nv : Undefined.Instance;
            case string s:
                return StringMethod(s, name, line);
            case List<object?> l:
                return name switch
                {
                    "append" => new Callable("append", (a, _) =>
                    {
                        l.Add(a.Count > 0 ? a[0] : null);
                        return null;
                    }),
                    "pop" => new Callable("pop", (a, _) =>
                    {
                        int i = a.Count > 0 ? (int)ToLong(a[0]) : -1;
                        i = i < 0 ? l.Count + i : i;
                        var x = l[i];
                        l.RemoveAt(i);
                        return x;
                    }),
                    _ => Undefined.Instance,
                };
            default:
                return Undefined.Instance;
        }
    }

    private static Callable StringMethod(string s, string name, int line) => new(name, (a, _) =>
    {
        string Arg(int i) => a.Count > i ? Values.Str(a[i]) : "";
        return name switch
        {
            "strip" => a.Count > 0 ? s.Trim(Arg(0).ToCharArray()) : s.Trim(),
            "lstrip" => a.Count > 0 ? s.TrimStart(Arg(0).ToCharArray()) : s.TrimStart(),
            "rstrip" => a.Count > 0 ? s.TrimEnd(Arg(0).ToCharArray()) : s.TrimEnd(),
            "upper" => s.ToUpperInvariant(),
            "lower" => s.ToLowerInvariant(),
            "title" => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant()),
            "capitalize" => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(),
            "startswith" => (object)(a.Count > 0 && a[0] is List<object?> opts ? opts.Any(o => s.StartsWith(Values.Str(o), StringComparison.Ordinal)) : s.StartsWith(Arg(0), StringComparison.Ordinal)),
            "endswith" => a.Count > 0 && a[0] is List<object?> opts2 ? opts2.Any(o => s.EndsWith(Values.Str(o), StringComparison.Ordinal)) : s.EndsWith(Arg(0), StringComparison.Ordinal),
            "split" => (a.Count == 0 || a[0] is null
                ? s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                : s.Split(Arg(0))).Select(x => (object?)x).ToList(),
            "replace" => s.Replace(Arg(0), Arg(1), StringComparison.Ordinal),
            "find" => (long)s.IndexOf(Arg(0), StringComparison.Ordinal),
            "count" => (long)(Arg(0).Length == 0 ? s.Length + 1 : (s.Length - s.Replace(Arg(0), "", StringComparison.Ordinal).Length) / Arg(0).Length),
            "join" => string.Join(s, (a.Count > 0 && a[0] is List<object?> parts ? parts : []).Select(Values.Str)),
            "format" => s,
            _ => throw new ChatTemplateException($"line {line}: strings have no method '{name}'"),
        };
    });

    private static object? GetItem(object? target, object? key, int line)
    {
        switch (target)
        {
            case Dictionary<string, object?> d:
                return key is not null && d.TryGetValue(Values.Str(key), out var v) ? v : Undefined.Instance;
            case Namespace ns:
                return key is string k && ns.Values.TryGetValue(k, out var nv) ? nv : Undefined.Instance;
            case List<object?> l:
            {
                long i = ToLong(key);
                if (i < 0)
                {
                    i += l.Count;
                }

                return i >= 0 && i < l.Count ? l[(int)i] : Undefined.Instance;
            }

            case string s:
            {
                long i = ToLong(key);
                if (i < 0)
                {
                    i += s.Length;
                }

                return i >= 0 && i < s.Length ? s[(int)i].ToString() : Undefined.Instance;
            }

            case null or Undefined:
                return Undefined.Instance;
            default:
                throw new ChatTemplateException($"line {line}: cannot index {Values.TypeName(target)}");
        }
    }

    private static object? Slice(object? target, object? start, object? stop, object? step, int line)
    {
        long st = step is null ? 1 : ToLong(step);
        if (st == 0)
        {
            throw new ChatTemplateException($"line {line}: slice step cannot be zero");
        }

        int n = target switch
        {
            List<object?> l => l.Count,
            string s => s.Length,
            null or Undefined => 0,
            _ => throw new ChatTemplateException($"line {line}: cannot slice {Values.TypeName(target)}"),
        };
        long Norm(object? v, long dflt)
        {
            if (v is null)
            {
                return dflt;
            }

            long x = ToLong(v);
            if (x < 0)
            {
                x += n;
            }

            return Math.Clamp(x, st > 0 ? 0 : -1, st > 0 ? n : n - 1);
        }

        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var idx = new List<int>();
        for (long i = a; st > 0 ? i < b : i > b; i += st)
        {
            idx.Add((int)i);
        }

        return target switch
        {
            List<object?> l => idx.Select(i => l[i]).ToList(),
            string s => string.Concat(idx.Select(i => s[i])),
            _ => new List<object?>(),
        };
    }
}
