using System.Globalization;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Tree-walking evaluator. Scopes follow Jinja: a for loop (and a macro call) opens a scope, so plain
/// <c>set</c> inside it does not leak; namespaces carry state across. Work and output are bounded so a
/// hostile template fails quickly instead of hanging or exhausting memory.
/// </summary>
internal sealed partial class Interpreter
{
    private const int MaxOutputChars = 4_000_000;
    private const long MaxSteps = 2_000_000;
    private const int MaxDepth = 64;

    private readonly List<Dictionary<string, object?>> _scopes = [];
    private readonly StringBuilder _out = new();
    private readonly TimeProvider _time;
    private long _steps;
    private int _depth;

    public Interpreter(Dictionary<string, object?> globals, TimeProvider time)
    {
        _time = time;
        _scopes.Add(Builtins());
        _scopes.Add(globals);
    }

    public string Render(List<Stmt> body)
    {
        Exec(body);
        return _out.ToString();
    }

    private void Step(int line)
    {
        if (++_steps > MaxSteps)
        {
            throw new ChatTemplateException($"line {line}: the template does too much work (over {MaxSteps} steps)");
        }
    }

    private void Emit(string s, int line)
    {
        _out.Append(s);
        if (_out.Length > MaxOutputChars)
        {
            throw new ChatTemplateException($"line {line}: the template output exceeds {MaxOutputChars} characters");
        }
    }

    private void Exec(List<Stmt> body)
    {
        foreach (var s in body)
        {
            Step(s.Line);
            switch (s)
            {
                case Stmt.Text t:
                    Emit(t.Value, t.Line);
                    break;
                case Stmt.Output o:
                    Emit(Values.Str(Eval(o.Value)), o.Line);
                    break;
                case Stmt.If i:
                {
                    bool done = false;
                    foreach (var (cond, branch) in i.Branches)
                    {
                        if (Values.Truthy(Eval(cond)))
                        {
                            Exec(branch);
                            done = true;
                            break;
                        }
                    }

                    if (!done && i.Else is not null)
                    {
                        Exec(i.Else);
                    }

                    break;
                }

                case Stmt.For f:
                    ExecFor(f);
                    break;
                case Stmt.Set st:
                {
                    var v = Eval(st.Value);
                    if (st.Attribute is null)
                    {
                        _scopes[^1][st.Name] = v;
                    }
                    else if (Lookup(st.Name) is Namespace ns)
                    {
                        ns.Values[st.Attribute] = v;
                    }
                    else
                    {
                        throw new ChatTemplateException($"line {st.Line}: cannot assign an attribute of '{st.Name}', which is not a namespace");
                    }

                    break;
                }

                case Stmt.SetBlock sb:
                {
                    int mark = _out.Length;
                    Exec(sb.Body);
                    string captured = _out.ToString(mark, _out.Length - mark);
                    _out.Length = mark;
                    _scopes[^1][sb.Name] = captured;
                    break;
                }

                case Stmt.Macro m:
                    _scopes[^1][m.Name] = MakeMacro(m);
                    break;
            }
        }
    }

    private void ExecFor(Stmt.For f)
    {
        var source = Eval(f.Iterable);
        List<object?> items = source switch
        {
            List<object?> l => l,
            Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            null or Undefined => [],
            _ => throw new ChatTemplateException($"line {f.Line}: cannot iterate over {Values.TypeName(source)}"),
        };
        var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
        _scopes.Add(scope);
        try
        {
            if (f.Filter is not null)
            {
                var kept = new List<object?>();
                foreach (var item in items)
                {
                    Bind(scope, f.Targets, item, f.Line);
                    if (Values.Truthy(Eval(f.Filter)))
                    {
                        kept.Add(item);
                    }
                }

                items = kept;
            }

            for (int i = 0; i < items.Count; i++)
            {
                Step(f.Line);
                Bind(scope, f.Targets, items[i], f.Line);
                scope["loop"] = new Dictionary<string, object?>
                {
                    ["index"] = (long)(i + 1),
                    ["index0"] = (long)i,
                    ["revindex"] = (long)(items.Count - i),
                    ["revindex0"] = (long)(items.Count - i - 1),
                    ["first"] = i == 0,
                    ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count,
                    ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance,
                    ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Instance,
                };
                Exec(f.Body);
            }

            if (items.Count == 0 && f.Else is not null)
            {
                Exec(f.Else);
            }
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
        }
    }

    private static void Bind(Dictionary<string, object?> scope, List<string> targets, object? item, int line)
    {
        if (targets.Count == 1)
        {
            scope[targets[0]] = item;
            return;
        }

        if (item is not List<object?> parts || parts.Count != targets.Count)
        {
            throw new ChatTemplateException($"line {line}: cannot unpack {Values.TypeName(item)} into {targets.Count} names");
        }

        for (int i = 0; i < targets.Count; i++)
        {
            scope[targets[i]] = parts[i];
        }
    }

    private Callable MakeMacro(Stmt.Macro m) => new(m.Name, (args, kwargs) =>
    {
        if (++_depth > MaxDepth)
        {
            throw new ChatTemplateException($"line {m.Line}: macro recursion deeper than {MaxDepth}");
        }

        var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < m.Params.Count; i++)
        {
            var (name, def) = m.Params[i];
            scope[name] = i < args.Count ? args[i] : kwargs.TryGetValue(name, out var kv) ? kv : def is null ? Undefined.Instance : Eval(def);
        }

        int mark = _out.Length;
        _scopes.Add(scope);
        try
        {
            Exec(m.Body);
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
            _depth--;
        }

        string result = _out.ToString(mark, _out.Length - mark);
        _out.Length = mark;
        return result;
    });

    private object? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return Undefined.Instance;
    }

    private object? Eval(Expr e)
    {
        Step(e.Line);
        switch (e)
        {
            case Expr.Literal l:
                return l.Value;
            case Expr.Var n:
                return Lookup(n.Id);
            case Expr.ListLit l:
                return l.Items.Select(Eval).ToList();
            case Expr.DictLit d:
            {
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in d.Items)
                {
                    dict[Values.Str(Eval(k))] = Eval(v);
                }

                return dict;
            }

            case Expr.Attr a:
                return GetAttr(Eval(a.Target), a.Name, a.Line);
            case Expr.Index ix:
                return GetItem(Eval(ix.Target), Eval(ix.Key), ix.Line);
            case Expr.Slice sl:
                return Slice(Eval(sl.Target), sl.Start is null ? null : Eval(sl.Start), sl.Stop is null ? null : Eval(sl.Stop), sl.Step is null ? null : Eval(sl.Step), sl.Line);
            case Expr.Call c:
            {
                var target = Eval(c.Target);
                var args = c.Args.Select(Eval).ToList();
                var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value), StringComparer.Ordinal);
                if (target is Callable f)
                {
                    return f.Invoke(args, kwargs);
                }

                throw new ChatTemplateException($"line {c.Line}: {Describe(c.Target)} is not callable");
            }

            case Expr.Filter f:
                return ApplyFilter(f.Name, Eval(f.Target), f.Args.Select(Eval).ToList(), f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value), StringComparer.Ordinal), f.Line);
            case Expr.Test t:
            {
                bool r = ApplyTest(t.Name, Eval(t.Target), t.Args.Select(Eval).ToList(), t.Line);
                return t.Negated ? !r : r;
            }

            case Expr.Unary u:
            {
                var v = Eval(u.Operand);
                return u.Op switch
                {
                    "not" => !Values.Truthy(v),
                    "-" => v switch
                    {
                        long x => (object)(-x),
                        double x => -x,
                        _ => throw new ChatTemplateException($"line {u.Line}: cannot negate {Values.TypeName(v)}"),
                    },
                    _ => v,
                };
            }

            case Expr.Binary b:
                return Binary(b);
            case Expr.Conditional c:
                return Values.Truthy(Eval(c.Cond)) ? Eval(c.Then) : c.Else is null ? Undefined.Instance : Eval(c.Else);
            default:
                throw new ChatTemplateException($"line {e.Line}: unsupported expression");
        }
    }

    private static string Describe(Expr e) => e switch
    {
        Expr.Var n => $"'{n.Id}'",
        Expr.Attr a => $"'{a.Name}'",
        _ => "the expression",
    };

    private object? Binary(Expr.Binary b)
    {
        if (b.Op == "and")
        {
            var l = Eval(b.Left);
            return Values.Truthy(l) ? Eval(b.Right) : l;
        }

        if (b.Op == "or")
        {
            var l = Eval(b.Left);
            return Values.Truthy(l) ? l : Eval(b.Right);
        }

        var a = Eval(b.Left);
        var c = Eval(b.Right);
        switch (b.Op)
        {
            case "==":
                return Values.Equal(a, c);
            case "!=":
                return !Values.Equal(a, c);
            case "<":
                return Values.Compare(a, c, b.Line) < 0;
            case ">":
                return Values.Compare(a, c, b.Line) > 0;
            case "<=":
                return Values.Compare(a, c, b.Line) <= 0;
            case ">=":
                return Values.Compare(a, c, b.Line) >= 0;
            case "in":
                return c switch
                {
                    string s => a is string sub && s.Contains(sub, StringComparison.Ordinal),
                    List<object?> l => l.Any(x => Values.Equal(x, a)),
                    Dictionary<string, object?> d => a is string k && d.ContainsKey(k),
                    Namespace ns => a is string k && ns.Values.ContainsKey(k),
                    null or Undefined => false,
                    _ => throw new ChatTemplateException($"line {b.Line}: 'in' needs a string, list or dict, not {Values.TypeName(c)}"),
                };
            case "~":
                return Values.Str(a) + Values.Str(c);
            case "+":
                return (a, c) switch
                {
                    (string x, string y) => x + y,
                    (List<object?> x, List<object?> y) => x.Concat(y).ToList(),
                    (long x, long y) => x + y,
                    (long or double, long or double) => ToDouble(a) + ToDouble(c),
                    _ => throw new ChatTemplateException($"line {b.Line}: cannot add {Values.TypeName(a)} and {Values.TypeName(c)}"),
                };
            case "-":
                return (a, c) switch
                {
                    (long x, long y) => (object)(x - y),
                    (long or double, long or double) => ToDouble(a) - ToDouble(c),
                    _ => throw new ChatTemplateException($"line {b.Line}: cannot subtract {Values.TypeName(c)} from {Values.TypeName(a)}"),
                };
            case "*":
                return (a, c) switch
                {
                    (long x, long y) => (object)(x * y),
                    (string s, long n) => Repeat(s, n, b.Line),
                    (long or double, long or double) => ToDouble(a) * ToDouble(c),
                    _ => throw new ChatTemplateException($"line {b.Line}: cannot multiply {Values.TypeName(a)} by {Values.TypeName(c)}"),
                };
            case "/":
                return ToDouble(a) / NonZero(ToDouble(c), b.Line);
            case "//":
                return (a, c) switch
                {
                    (long x, long y) => (object)(long)Math.Floor((double)x / NonZero(y, b.Line)),
                    _ => Math.Floor(ToDouble(a) / NonZero(ToDouble(c), b.Line)),
                };
            case "%":
                return (a, c) switch
                {
                    (long x, long y) => (object)(((x % (long)NonZero(y, b.Line)) + y) % y),
                    _ => ToDouble(a) % NonZero(ToDouble(c), b.Line),
                };
            case "**":
                return (a, c) switch
                {
                    (long x, long y) when y >= 0 && y < 64 => (object)(long)Math.Pow(x, y),
                    _ => Math.Pow(ToDouble(a), ToDouble(c)),
                };
            default:
                throw new ChatTemplateException($"line {b.Line}: unknown operator {b.Op}");
        }
    }

    private static string Repeat(string s, long n, int line)
    {
        if (n <= 0)
        {
            return "";
        }

        if (s.Length * n > MaxOutputChars)
        {
            throw new ChatTemplateException($"line {line}: string repetition too large");
        }

        return string.Concat(Enumerable.Repeat(s, (int)n));
    }

    private static double NonZero(double d, int line) => d == 0 ? throw new ChatTemplateException($"line {line}: division by zero") : d;

    internal static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new ChatTemplateException($"expected a number, got {Values.TypeName(v)}"),
    };
}
