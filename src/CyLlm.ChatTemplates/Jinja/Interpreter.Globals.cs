namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Global functions: Jinja's range/dict/namespace and Hugging Face's raise_exception/strftime_now.</summary>
internal sealed partial class Interpreter
{
    /// <summary>The sandbox's MAX_RANGE: larger ranges are refused rather than built.</summary>
    private const long MaxRange = 100_000;

    private static readonly Dictionary<string, Callable> Globals = new(StringComparer.Ordinal)
    {
        ["range"] = new BuiltinFunction("range", static (it, a) => it.Range(a)),
        ["dict"] = new BuiltinFunction("dict", static (_, a) =>
        {
            var d = new PyDict();
            if (a.Count > 0 && a[0] is PyDict from)
            {
                foreach (var (k, v) in from)
                {
                    d[k] = v;
                }
            }

            if (a.Named is not null)
            {
                foreach (var (k, v) in a.Named)
                {
                    d[k] = v;
                }
            }

            return d;
        }),
        ["namespace"] = new BuiltinFunction("namespace", static (_, a) =>
        {
            var ns = new Namespace();
            if (a.Count > 0 && a[0] is PyDict from)
            {
                foreach (var (k, v) in from)
                {
                    ns.Values[k as string ?? throw new TemplateError("namespace() keys must be strings")] = v;
                }
            }

            if (a.Named is not null)
            {
                foreach (var (k, v) in a.Named)
                {
                    ns.Values[k] = v;
                }
            }

            return ns;
        }),
        ["raise_exception"] = new BuiltinFunction("raise_exception", static (it, a) =>
            throw new TemplateError(a.Count > 0 ? it.StrSoft(a[0]) : "raise_exception() was called", ChatTemplateErrorKind.RaisedByTemplate)),
        ["strftime_now"] = new BuiltinFunction("strftime_now", static (it, a) =>
        {
            a.Check("strftime_now", 1, "format");
            return Strftime.Format(it._time.GetLocalNow(), RequireString(a.Get(0, "format", null), "strftime_now"));
        }),
    };

    private List<object?> Range(Arguments a)
    {
        a.Check("range", 3);
        long start = 0, stop, step = 1;
        switch (a.Count)
        {
            case 0:
                throw new TemplateError("range expected at least 1 argument, got 0");
            case 1:
                stop = ToIndex(a[0], "range() argument");
                break;
            default:
                start = ToIndex(a[0], "range() argument");
                stop = ToIndex(a[1], "range() argument");
                step = a.Count > 2 ? ToIndex(a[2], "range() argument") : 1;
                break;
        }

        if (step == 0)
        {
            throw new TemplateError("range() arg 3 must not be zero");
        }

        // Count in 128 bits so extreme bounds cannot overflow.
        Int128 span = step > 0 ? (Int128)stop - start : (Int128)start - stop;
        Int128 count = span <= 0 ? 0 : ((span - 1) / Int128.Abs(step)) + 1;
        if (count > MaxRange)
        {
            throw new TemplateError($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).", ChatTemplateErrorKind.LimitExceeded);
        }

        var list = new List<object?>((int)count);
        for (long i = 0; i < (long)count; i++)
        {
            list.Add(start + (i * step));
        }

        _budget.Steps(list.Count);
        return list;
    }
}
