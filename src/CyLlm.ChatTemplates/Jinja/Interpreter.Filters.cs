using System.Globalization;

namespace CyLlm.ChatTemplates.Jinja;

internal sealed partial class Interpreter
{
    private object? ApplyFilter(string name, object? v, List<object?> a, Dictionary<string, object?> kw, int line)
    {
        object? Arg(int i, string key, object? dflt = null) => i < a.Count ? a[i] : kw.TryGetValue(key, out var x) ? x : dflt;
        switch (name)
        {
            case "trim":
                return Values.Str(v).Trim();
            case "upper":
                return Values.Str(v).ToUpperInvariant();
            case "lower":
                return Values.Str(v).ToLowerInvariant();
            case "capitalize":
            {
                string s = Values.Str(v);
                return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            }

            case "title":
                return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Values.Str(v).ToLowerInvariant());
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.Length,
                    List<object?> l => (long)l.Count,
                    Dictionary<string, object?> dc => (long)dc.Count,
                    null or Undefined => 0L,
                    _ => throw new ChatTemplateException($"line {line}: {Values.TypeName(v)} has no length"),
                };
            case "string":
                return Values.Str(v);
            case "int":
                return v switch
                {
                    long l => l,
                    double dv => (long)dv,
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
                    _ => Arg(0, "default", 0L),
                };
            case "float":
                return v switch
                {
                    long l => (double)l,
                    double dv => dv,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var pd) => pd,
                    _ => Arg(0, "default", 0.0),
                };
            case "abs":
                return v is long li ? Math.Abs(li) : Math.Abs(ToDouble(v));
            case "round":
                return Math.Round(ToDouble(v), (int)ToLong(Arg(0, "precision", 0L)), MidpointRounding.AwayFromZero);
            case "tojson":
            {
                var indent = Arg(0, "indent");
                return Values.Json(v, indent is null ? null : (int)ToLong(indent));
            }

            case "safe" or "escape" or "e" or "forceescape" when name == "safe":
                return v;
            case "escape" or "e":
                return System.Net.WebUtility.HtmlEncode(Values.Str(v));
            case "join":
            {
                string sep = Values.Str(Arg(0, "d", ""));
                var attr = Arg(1, "attribute");
                var items = AsList(v, line);
                return string.Join(sep, items.Select(x => Values.Str(attr is null ? x : GetItem(x, attr, line))));
            }

            case "first":
                return v is string fs ? (fs.Length > 0 ? fs[0].ToString() : Undefined.Instance) : AsList(v, line).FirstOrDefault(Undefined.Instance);
            case "last":
                return v is string ls ? (ls.Length > 0 ? ls[^1].ToString() : Undefined.Instance) : AsList(v, line).LastOrDefault(Undefined.Instance);
            case "default" or "d":
            {
                bool boolean = Values.Truthy(Arg(1, "boolean", false));
                bool use = v is Undefined || (boolean && !Values.Truthy(v));
                return use ? Arg(0, "default_value", "") : v;
            }

            case "replace":
                return Values.Str(v).Replace(Values.Str(Arg(0, "old", "")), Values.Str(Arg(1, "new", "")), StringComparison.Ordinal);
            case "list":
                return v is string str ? str.Select(c => (object?)c.ToString()).ToList() : AsList(v, line).ToList();
            case "reverse":
                return v is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(AsList(v, line)).ToList();
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in AsList(v, line))
                {
                    if (!result.Any(y => Values.Equal(x, y)))
                    {
                        result.Add(x);
                    }
                }

                return result;
            }

            case "items":
                return v is Dictionary<string, object?> dict ? dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList() : new List<object?>();
            case "indent":
            {
                int width = (int)ToLong(Arg(0, "width", 4L));
                bool first = Values.Truthy(Arg(1, "first", false));
                string pad = new(' ', width);
                var lines = Values.Str(v).Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    if ((i > 0 || first) && lines[i].Length > 0)
                    {
                        lines[i] = pad + lines[i];
                    }
                }

                return string.Join('\n', lines);
            }

            case "map":
            {
                var items = AsList(v, line);
                if (kw.TryGetValue("attribute", out var attr))
                {
                    return items.Select(x => GetItem(x, attr, line) is Undefined && kw.TryGetValue("default", out var dv) ? dv : GetItem(x, attr, line)).ToList();
                }

                string filter = Values.Str(Arg(0, "filter", ""));
                var rest = a.Skip(1).ToList();
                return items.Select(x => ApplyFilter(filter, x, rest, [], line)).ToList();
            }

            case "selectattr" or "rejectattr":
            {
                bool select = name == "selectattr";
                var attr = Arg(0, "attribute");
                string? test = a.Count > 1 ? Values.Str(a[1]) : null;
                var rest = a.Skip(2).ToList();
                return AsList(v, line).Where(x =>
                {
                    var val = GetItem(x, attr, line);
                    bool ok = test is null ? Values.Truthy(val) : ApplyTest(test, val, rest, line);
                    return ok == select;
                }).ToList();
            }

            case "select" or "reject":
            {
                bool select = name == "select";
                string? test = a.Count > 0 ? Values.Str(a[0]) : null;
                var rest = a.Skip(1).ToList();
                return AsList(v, line).Where(x => (test is null ? Values.Truthy(x) : ApplyTest(test, x, rest, line)) == select).ToList();
            }

            case "dictsort":
                return v is Dictionary<string, object?> ds
                    ? ds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : new List<object?>();
            case "sort":
                return AsList(v, line).OrderBy(x => x, Comparer<object?>.Create((p, q) => Values.Compare(p, q, line))).ToList();
            case "wordcount":
                return (long)Values.Str(v).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            default:
                throw new ChatTemplateException($"line {line}: unknown filter '{name}'");
        }
    }

    private static List<object?> AsList(object? v, int line) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        null or Undefined => [],
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        _ => throw new ChatTemplateException($"line {line}: expected a list, got {Values.TypeName(v)}"),
    };

    private bool ApplyTest(string name, object? v, List<object?> a, int line) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is Dictionary<string, object?> or Namespace,
        "iterable" => v is List<object?> or Dictionary<string, object?> or string,
        "sequence" => v is List<object?> or string,
        "callable" => v is Callable,
        "odd" => ToLong(v) % 2 != 0,
        "even" => ToLong(v) % 2 == 0,
        "divisibleby" => a.Count > 0 && ToLong(a[0]) != 0 && ToLong(v) % ToLong(a[0]) == 0,
        "eq" or "equalto" or "==" or "sameas" => a.Count > 0 && Values.Equal(v, a[0]),
        "ne" or "!=" => a.Count > 0 && !Values.Equal(v, a[0]),
        "in" => a.Count > 0 && a[0] switch
        {
            List<object?> l => l.Any(x => Values.Equal(x, v)),
            string s => v is string sub && s.Contains(sub, StringComparison.Ordinal),
            Dictionary<string, object?> d => v is string k && d.ContainsKey(k),
            _ => false,
        },
        "lower" => v is string ls && ls == ls.ToLowerInvariant(),
        "upper" => v is string us && us == us.ToUpperInvariant(),
        _ => throw new ChatTemplateException($"line {line}: unknown test '{name}'"),
    };
}
