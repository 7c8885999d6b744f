using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Filters over sequences: join, sort, dictsort, unique, min/max, sum, map, select/reject.</summary>
internal sealed partial class Interpreter
{
    private string Join(object? v, Arguments a)
    {
        a.Check("join", 2, "d", "attribute");
        string sep = StrSoft(a.Get(0, "d", ""));
        var attribute = a.Get(1, "attribute", null);
        var items = Iterate(v);
        var sb = new StringBuilder();
        for (int i = 0; i < items.Count; i++)
        {
            _budget.Step();
            if (i > 0)
            {
                sb.Append(sep);
            }

            var item = attribute is null ? items[i] : GetPath(items[i], attribute, null);
            string s = StrSoft(item);
            _budget.CheckLength((long)sb.Length + s.Length);
            sb.Append(s);
        }

        return sb.ToString();
    }

    /// <summary>Jinja's attribute getter: "a.b.0" walks items/attributes; integer parts index lists.</summary>
    private object? GetPath(object? item, object? attribute, object? fallback)
    {
        if (attribute is not string path)
        {
            return GetItem(item, attribute);
        }

        object? cur = item;
        foreach (var part in path.Split('.'))
        {
            object key = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long idx) ? idx : part;
            cur = GetItem(cur, key);
            if (cur is Undefined)
            {
                return fallback ?? cur;
            }
        }

        return cur;
    }

    /// <summary>Case-insensitive sort key for strings (Jinja's default case_sensitive=False).</summary>
    private static object? SortKey(object? v, bool caseSensitive) => Plain(v) is var p && !caseSensitive && p is string s ? s.ToLowerInvariant() : p;

    private List<object?> Sort(object? v, Arguments a)
    {
        a.Check("sort", 3, "reverse", "case_sensitive", "attribute");
        bool reverse = Truthy(a.Get(0, "reverse", false));
        bool caseSensitive = Truthy(a.Get(1, "case_sensitive", false));
        var attribute = a.Get(2, "attribute", null);
        var items = new List<object?>(Iterate(v));
        var keys = new List<object?>(items.Count);
        foreach (var item in items)
        {
            keys.Add(SortKey(attribute is null ? item : GetPath(item, attribute, null), caseSensitive));
        }

        return StableSort(items, keys, reverse);
    }

    /// <summary>A stable merge sort by <paramref name="keys"/> (Python's sort is stable; Array.Sort is not, and wraps comparer errors).</summary>
    private List<object?> StableSort(List<object?> items, List<object?> keys, bool reverse)
    {
        Debug.Assert(items.Count == keys.Count, "one sort key per item");
        int n = items.Count;
        var order = new int[n];
        var scratch = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        for (int width = 1; width < n; width *= 2)
        {
            for (int lo = 0; lo < n - width; lo += 2 * width)
            {
                int mid = lo + width, hi = Math.Min(lo + (2 * width), n);
                int a = lo, b = mid, k = lo;
                while (a < mid && b < hi)
                {
                    int c = CompareOrder(keys[order[b]], keys[order[a]], "<");
                    // Take from the right run only when strictly before the left one: equal keys keep their order.
                    scratch[k++] = (reverse ? c > 0 : c < 0) ? order[b++] : order[a++];
                }

                while (a < mid)
                {
                    scratch[k++] = order[a++];
                }

                while (b < hi)
                {
                    scratch[k++] = order[b++];
                }

                Array.Copy(scratch, lo, order, lo, hi - lo);
            }
        }

        var result = new List<object?>(items.Count);
        foreach (int i in order)
        {
            result.Add(items[i]);
        }

        return result;
    }

    private List<object?> DictSort(object? v, Arguments a)
    {
        a.Check("dictsort", 3, "case_sensitive", "by", "reverse");
        if (v is not PyDict d)
        {
            throw new TemplateError("You can only sort by either \"key\" or \"value\" of a mapping");
        }

        bool caseSensitive = Truthy(a.Get(0, "case_sensitive", false));
        string by = StrSoft(a.Get(1, "by", "key"));
        bool reverse = Truthy(a.Get(2, "reverse", false));
        var items = (List<object?>)DictMethod(d, "items", Arguments.Empty)!;
        var keys = new List<object?>(items.Count);
        foreach (var item in items)
        {
            var pair = (List<object?>)item!;
            keys.Add(SortKey(by == "value" ? pair[1] : pair[0], caseSensitive));
        }

        return StableSort(items, keys, reverse);
    }

    private List<object?> Unique(object? v, Arguments a)
    {
        a.Check("unique", 2, "case_sensitive", "attribute");
        bool caseSensitive = Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute", null);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Iterate(v))
        {
            var key = SortKey(attribute is null ? item : GetPath(item, attribute, null), caseSensitive);
            bool dup = false;
            foreach (var s in seen)
            {
                if (ValueEquals(s, key))
                {
                    dup = true;
                    break;
                }
            }

            if (!dup)
            {
                seen.Add(key);
                result.Add(item);
            }
        }

        return result;
    }

    private object? MinMax(object? v, Arguments a, bool max)
    {
        a.Check(max ? "max" : "min", 2, "case_sensitive", "attribute");
        bool caseSensitive = Truthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute", null);
        object? best = null;
        object? bestKey = null;
        bool any = false;
        foreach (var item in Iterate(v))
        {
            var key = SortKey(attribute is null ? item : GetPath(item, attribute, null), caseSensitive);
            if (!any || (max ? CompareOrder(key, bestKey, ">") > 0 : CompareOrder(key, bestKey, "<") < 0))
            {
                best = item;
                bestKey = key;
                any = true;
            }
        }

        return any ? best : new Undefined($"No aggregated item, sequence was empty.");
    }

    private object? Sum(object? v, Arguments a)
    {
        a.Check("sum", 2, "attribute", "start");
        var attribute = a.Get(0, "attribute", null);
        object? total = a.Get(1, "start", 0L);
        foreach (var item in Iterate(v))
        {
            total = Arithmetic(BinaryOp.Add, total, attribute is null ? item : GetPath(item, attribute, null));
        }

        return total;
    }

    private List<object?> Map(object? v, Arguments a)
    {
        // Jinja maps and selects over "if value: for item in value", so a falsy value (None included) gives nothing.
        var items = Truthy(v) ? Iterate(v) : [];
        var result = new List<object?>(items.Count);
        if (a.Named is not null && a.Named.TryGetValue("attribute", out var attribute))
        {
            a.Named.TryGetValue("default", out var fallback);
            foreach (var item in items)
            {
                _budget.Step();
                var value = GetPath(item, attribute, null);
                result.Add(value is Undefined && a.Named.ContainsKey("default") ? fallback : value);
            }

            return result;
        }

        if (a.Count == 0)
        {
            throw new TemplateError("map requires a filter argument");
        }

        string filter = RequireString(a[0], "map");
        if (!KnownNames.Filters.Contains(filter))
        {
            throw new TemplateError($"no filter named '{filter}'");
        }

        var rest = new Arguments(a.Positional.GetRange(1, a.Count - 1), a.Named);
        foreach (var item in items)
        {
            _budget.Step();
            result.Add(ApplyFilter(filter, item, rest));
        }

        return result;
    }

    private List<object?> Select(object? v, Arguments a, bool keep, bool byAttribute)
    {
        int first = byAttribute ? 1 : 0;
        var attribute = byAttribute ? a.Get(0, "attribute", null) : null;
        string? test = a.Count > first ? RequireString(a[first], "select") : null;
        if (test is not null && !KnownNames.Tests.Contains(test))
        {
            throw new TemplateError($"no test named '{test}'");
        }

        var rest = test is null ? Arguments.Empty : new Arguments(a.Positional.GetRange(first + 1, a.Count - first - 1), null);
        var result = new List<object?>();
        foreach (var item in Truthy(v) ? Iterate(v) : [])
        {
            _budget.Step();
            var value = byAttribute ? GetPath(item, attribute, null) : item;
            bool ok = test is null ? Truthy(value) : ApplyTest(test, value, rest);
            if (ok == keep)
            {
                result.Add(item);
            }
        }

        return result;
    }
}
