using System.Runtime.CompilerServices;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Python key equality for dicts: numbers compare by value across int/float/bool, strings ordinally, tuples item by item.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        switch (x)
        {
            case string s:
                return y is string t && string.Equals(s, t, StringComparison.Ordinal);
            case long l when y is long m:
                return l == m;
            case long or double or bool:
                return y is long or double or bool && Number(x) == Number(y);
            case TupleValue a when y is TupleValue b && a.Count == b.Count:
                for (int i = 0; i < a.Count; i++)
                {
                    if (!Equals(a[i] ?? PyDict.NoneKey, b[i] ?? PyDict.NoneKey))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    public int GetHashCode(object obj)
    {
        switch (obj)
        {
            case string s:
                return string.GetHashCode(s, StringComparison.Ordinal);
            case long or double or bool:
                {
                    double d = Number(obj);
                    return d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode();
                }

            case TupleValue t:
                {
                    var h = default(HashCode);
                    foreach (var item in t)
                    {
                        h.Add(GetHashCode(item ?? PyDict.NoneKey));
                    }

                    return h.ToHashCode();
                }

            default:
                return RuntimeHelpers.GetHashCode(obj);
        }
    }

    private static double Number(object v) => v switch
    {
        long l => l,
        double d => d,
        _ => (bool)v ? 1 : 0,
    };
}
