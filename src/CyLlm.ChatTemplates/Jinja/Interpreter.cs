using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Tree-walking evaluator with Jinja2's semantics under Hugging Face's ImmutableSandboxedEnvironment: for-loop
/// iterations, macro calls and with-blocks get their own frames; lists and dicts cannot be mutated; work,
/// output and nesting are bounded by a <see cref="RenderBudget"/>. One instance renders once.
/// </summary>
internal sealed partial class Interpreter
{
    private readonly StringBuilder _out = new();
    private readonly RenderBudget _budget;
    private readonly TimeProvider _time;
    private Scope _scope;
    private int _evalDepth;
    private int _callDepth;

    public Interpreter(Dictionary<string, object?> globals, TimeProvider time, RenderBudget budget)
    {
        Debug.Assert(budget.MaxSteps > 0 && budget.MaxChars > 0, "ChatTemplate validates the limits");
        _time = time;
        _budget = budget;
        var root = new Scope(null);
        foreach (var (name, fn) in Globals)
        {
            root.Set(name, fn);
        }

        foreach (var (name, value) in globals)
        {
            root.Set(name, value);
        }

        _scope = new Scope(root);
    }

    /// <summary>Line of the statement or expression evaluated last (where a failure is reported).</summary>
    public int Line { get; private set; }

    public int Column { get; private set; }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(List<Stmt> body)
    {
        Exec(body);
        return _out.ToString();
    }

    /// <summary>Fails when a string of <paramref name="chars"/> characters would exceed the budget.</summary>
    public void CheckLength(long chars) => _budget.CheckLength(chars);

    private void At(int line, int column)
    {
        Line = line;
        Column = column;
        _budget.Step();
    }

    private void Emit(string s)
    {
        _out.Append(s);
        if (_out.Length > _budget.MaxChars)
        {
            throw new TemplateError($"the rendered output exceeds {_budget.MaxChars} characters", ChatTemplateErrorKind.LimitExceeded);
        }
    }

    private Flow Exec(List<Stmt> body)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new TemplateError("statements nest too deeply", ChatTemplateErrorKind.LimitExceeded);
        }

        foreach (var stmt in body)
        {
            At(stmt.Line, stmt.Column);
            var flow = ExecOne(stmt);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow ExecOne(Stmt stmt)
    {
        switch (stmt)
        {
            case Stmt.Text t:
                Emit(t.Value);
                return Flow.Normal;
            case Stmt.Output o:
                {
                    var v = Eval(o.Value);
                    if (v is not Undefined)
                    {
                        Emit(Str(v));
                    }

                    return Flow.Normal;
                }

            case Stmt.If i:
                for (int k = 0; k < i.Conditions.Count; k++)
                {
                    if (Truthy(Eval(i.Conditions[k])))
                    {
                        return Exec(i.Bodies[k]);
                    }
                }

                return i.Otherwise is null ? Flow.Normal : Exec(i.Otherwise);
            case Stmt.For f:
                ExecFor(f);
                return Flow.Normal;
            case Stmt.Set s:
                Assign(s.Target, Eval(s.Value));
                return Flow.Normal;
            case Stmt.SetBlock sb:
                {
                    var (text, flow) = CaptureInFrame(sb.Body);
                    Assign(sb.Target, sb.Filter is null ? text : ApplyFilterChain(sb.Filter, text));
                    return flow;
                }

            case Stmt.Macro m:
                _scope.Set(m.Name, new MacroValue(m, _scope));
                return Flow.Normal;
            case Stmt.With w:
                {
                    var outer = _scope;
                    var inner = new Scope(outer);
                    for (int k = 0; k < w.Targets.Count; k++)
                    {
                        // Values see the outer frame, as Jinja evaluates them before entering the block.
                        var value = Eval(w.Values[k]);
                        Bind(inner, w.Targets[k], value);
                    }

                    _scope = inner;
                    var flow = Exec(w.Body);
                    _scope = outer;
                    return flow;
                }

            case Stmt.FilterBlock fb:
                {
                    var (text, flow) = CaptureInFrame(fb.Body);
                    Emit(Str(ApplyFilterChain(fb.Filter, text)));
                    return flow;
                }

            case Stmt.Block b:
                {
                    // {% generation %} is a call block in Jinja: its body has its own frame.
                    var outer = _scope;
                    _scope = new Scope(outer);
                    var flow = Exec(b.Body);
                    _scope = outer;
                    return flow;
                }

            case Stmt.LoopControl lc:
                return lc.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw new TemplateError($"unsupported statement {stmt.GetType().Name}");
        }
    }

    /// <summary>Captures a block body in a frame of its own (set and filter blocks don't leak their variables).</summary>
    private (string Text, Flow Flow) CaptureInFrame(List<Stmt> body)
    {
        var outer = _scope;
        _scope = new Scope(outer);
        var result = Capture(body);
        _scope = outer;
        return result;
    }

    /// <summary>Renders <paramref name="body"/> into a string instead of the output.</summary>
    private (string Text, Flow Flow) Capture(List<Stmt> body)
    {
        int mark = _out.Length;
        var flow = Exec(body);
        string text = _out.ToString(mark, _out.Length - mark);
        _out.Length = mark;
        return (text, flow);
    }

    private void ExecFor(Stmt.For f)
    {
        var items = Iterate(Eval(f.Iterable));
        var outer = _scope;
        var frame = new Scope(outer);
        _scope = frame;
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                _budget.Step();
                frame.Clear();
                Bind(frame, f.Target, item);
                if (Truthy(Eval(f.Filter)))
                {
                    kept.Add(item);
                }
            }

            items = kept;
        }

        var loop = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            _budget.Step();
            frame.Clear();
            Bind(frame, f.Target, items[i]);
            loop.Index0 = i;
            frame.Set("loop", loop);
            if (Exec(f.Body) == Flow.Break)
            {
                break;
            }
        }

        if (items.Count == 0 && f.Otherwise is not null)
        {
            frame.Clear();
            Exec(f.Otherwise);
        }

        _scope = outer;
    }

    private void Assign(AssignTarget target, object? value)
    {
        if (target.Attribute is null)
        {
            Bind(_scope, target, value);
            return;
        }

        string ns = target.Names[0];
        if (Lookup(ns) is not Namespace space)
        {
            throw new TemplateError($"cannot assign attribute on non-namespace object '{ns}'");
        }

        space.Values[target.Attribute] = value;
    }

    private static void Bind(Scope scope, AssignTarget target, object? value)
    {
        Debug.Assert(target.Names.Count > 0 && target.Attribute is null, "namespace targets go through Assign");
        if (!target.IsTuple)
        {
            scope.Set(target.Names[0], value);
            return;
        }

        var parts = value switch
        {
            GeneratorValue g => g.Consume(),
            List<object?> l => l,
            string s => SplitCodePoints(s),
            Markup m => SplitCodePoints(m.Value),
            PyDict d => DictKeys(d),
            _ => throw new TemplateError($"cannot unpack non-iterable {TypeName(value)} object"),
        };
        if (parts.Count != target.Names.Count)
        {
            throw new TemplateError(parts.Count > target.Names.Count
                ? $"too many values to unpack (expected {target.Names.Count})"
                : $"not enough values to unpack (expected {target.Names.Count}, got {parts.Count})");
        }

        for (int i = 0; i < parts.Count; i++)
        {
            scope.Set(target.Names[i], parts[i]);
        }
    }

    private object? Lookup(string name)
    {
        for (var s = _scope; s is not null; s = s.Parent)
        {
            if (s.TryGetLocal(name, out var v))
            {
                return v;
            }
        }

        return new Undefined($"'{name}' is undefined");
    }

    public object? CallMacro(MacroValue macro, Arguments args)
    {
        RenderBudget.CheckDepth(++_callDepth);
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new TemplateError("macro calls nest too deeply", ChatTemplateErrorKind.LimitExceeded);
        }

        var def = macro.Definition;
        var frame = new Scope(macro.Closure);
        var outer = _scope;
        _scope = frame;
        int n = def.Parameters.Count;
        for (int i = 0; i < n; i++)
        {
            string p = def.Parameters[i];
            object? value;
            if (i < args.Count)
            {
                value = args[i];
            }
            else if (args.Named is not null && args.Named.TryGetValue(p, out var named))
            {
                value = named;
            }
            else
            {
                value = def.Defaults[i] is { } dflt ? Eval(dflt) : new Undefined($"parameter '{p}' was not provided");
            }

            frame.Set(p, value);
        }

        var varargs = new TupleValue();
        for (int i = n; i < args.Count; i++)
        {
            varargs.Add(args[i]);
        }

        var kwargs = new PyDict();
        if (args.Named is not null)
        {
            foreach (var (k, v) in args.Named)
            {
                if (!def.Parameters.Contains(k))
                {
                    kwargs[k] = v;
                }
            }
        }

        frame.Set("varargs", varargs);
        frame.Set("kwargs", kwargs);
        var (text, _) = Capture(def.Body);
        _scope = outer;
        _callDepth--;
        return text;
    }
}
