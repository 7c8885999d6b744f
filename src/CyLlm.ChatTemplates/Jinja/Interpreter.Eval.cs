using System.Runtime.CompilerServices;
using System.Text;

namespace CyLlm.ChatTemplates.Jinja;

internal sealed partial class Interpreter
{
    private object? Eval(Expr e)
    {
        At(e.Line, e.Column);
        if (++_evalDepth > RenderBudget.MaxDepth * 4 || ((_evalDepth & 15) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack()))
        {
            throw new TemplateError($"expressions nest too deeply ({_evalDepth} levels)", ChatTemplateErrorKind.LimitExceeded);
        }

        var v = EvalNode(e);
        _evalDepth--;
        return v;
    }

    private object? EvalNode(Expr e)
    {
        switch (e)
        {
            case Expr.Const c:
                return c.Value;
            case Expr.Variable n:
                return Lookup(n.Id);
            case Expr.GetAttr ga:
                return GetAttr(Eval(ga.Target), ga.Attribute);
            case Expr.GetItem gi:
                {
                    var target = Eval(gi.Target);
                    return GetItem(target, Eval(gi.Key));
                }

            case Expr.Call call:
                return EvalCall(call);
            case Expr.Filter f:
                {
                    var value = f.Target is null ? Undefined.Instance : Eval(f.Target);
                    return ApplyFilter(f.FilterName, value, EvalArgs(f.Args));
                }

            case Expr.IsTest t:
                {
                    var value = Eval(t.Target);
                    return ApplyTest(t.TestName, value, EvalArgs(t.Args));
                }

            case Expr.Compare cmp:
                {
                    var left = Eval(cmp.First);
                    for (int i = 0; i < cmp.Ops.Count; i++)
                    {
                        var right = Eval(cmp.Operands[i]);
                        if (!CompareValues(cmp.Ops[i], left, right))
                        {
                            return false;
                        }

                        left = right;
                    }

                    return true;
                }

            case Expr.Logical lg:
                {
                    var left = Eval(lg.Left);
                    return Truthy(left) == lg.IsAnd ? Eval(lg.Right) : left;
                }

            case Expr.Unary u:
                {
                    var v = Eval(u.Operand);
                    return u.Op switch
                    {
                        '!' => !Truthy(v),
                        '-' => Negate(v),
                        _ => Positive(v),
                    };
                }

            case Expr.Binary b:
                {
                    var left = Eval(b.Left);
                    return Arithmetic(b.Op, left, Eval(b.Right));
                }

            case Expr.Concat cc:
                {
                    var sb = new StringBuilder();
                    foreach (var part in cc.Parts)
                    {
                        var v = Eval(part);
                        string s = v is Undefined ? "" : Str(v);
                        _budget.CheckLength((long)sb.Length + s.Length);
                        sb.Append(s);
                    }

                    return sb.ToString();
                }

            case Expr.Conditional cd:
                if (Truthy(Eval(cd.Condition)))
                {
                    return Eval(cd.Then);
                }

                return cd.Otherwise is null
                    ? new Undefined($"the inline if-expression on line {cd.Line} evaluated to false and no else section was defined")
                    : Eval(cd.Otherwise);
            case Expr.Sequence seq:
                {
                    List<object?> list = seq.IsTuple ? new TupleValue(seq.Items.Count) : new List<object?>(seq.Items.Count);
                    foreach (var item in seq.Items)
                    {
                        list.Add(Eval(item));
                    }

                    return list;
                }

            case Expr.Dict d:
                {
                    var dict = new PyDict(d.Keys.Count);
                    for (int i = 0; i < d.Keys.Count; i++)
                    {
                        dict[DictKey(Eval(d.Keys[i]))] = Eval(d.Values[i]);
                    }

                    return dict;
                }

            case Expr.Slice sl:
                {
                    var target = Eval(sl.Target);
                    var start = sl.Start is null ? null : Eval(sl.Start);
                    var stop = sl.Stop is null ? null : Eval(sl.Stop);
                    var step = sl.Step is null ? null : Eval(sl.Step);
                    return Slice(target, start, stop, step);
                }

            default:
                throw new TemplateError($"unsupported expression {e.GetType().Name}");
        }
    }

    /// <summary>A hashable dict key: strings, numbers, booleans, None (as <see cref="PyDict.NoneKey"/>) and tuples of those.</summary>
    private static object DictKey(object? key) => key switch
    {
        null => PyDict.NoneKey,
        string or long or double or bool => key,
        Markup m => m.Value,
        TupleValue t => HashableTuple(t),
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"unhashable type: '{TypeName(key)}'"),
    };

    private static TupleValue HashableTuple(TupleValue t)
    {
        foreach (var item in t)
        {
            _ = DictKey(item);
        }

        return t;
    }

    private object? EvalCall(Expr.Call call)
    {
        // obj.method(...) dispatches directly, without materializing a bound method.
        if (call.Target is Expr.GetAttr ga)
        {
            var obj = Eval(ga.Target);
            if (obj is not null and not Undefined && HasMethod(obj, ga.Attribute))
            {
                var margs = EvalArgs(call.Args);
                At(call.Line, call.Column);
                return CallMethod(obj, ga.Attribute, margs);
            }

            var member = GetAttr(obj, ga.Attribute);
            return Invoke(member, EvalArgs(call.Args), call);
        }

        var target = Eval(call.Target);
        return Invoke(target, EvalArgs(call.Args), call);
    }

    private object? Invoke(object? target, Arguments args, Expr site)
    {
        At(site.Line, site.Column);
        return target switch
        {
            Callable c => c.Invoke(this, args),
            Undefined u => throw u.Fail(),
            _ => throw new TemplateError($"'{TypeName(target)}' object is not callable"),
        };
    }

    private Arguments EvalArgs(CallArgs a)
    {
        if (a.IsEmpty)
        {
            return Arguments.Empty;
        }

        var positional = new List<object?>(a.Positional.Count);
        foreach (var p in a.Positional)
        {
            positional.Add(Eval(p));
        }

        if (a.Star is not null)
        {
            positional.AddRange(Iterate(Eval(a.Star)));
        }

        Dictionary<string, object?>? named = null;
        if (a.Names.Count > 0 || a.DoubleStar is not null)
        {
            named = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < a.Names.Count; i++)
            {
                named[a.Names[i]] = Eval(a.Values[i]);
            }

            if (a.DoubleStar is not null)
            {
                if (Eval(a.DoubleStar) is not PyDict extra)
                {
                    throw new TemplateError("argument after ** must be a mapping");
                }

                foreach (var (k, v) in extra)
                {
                    named[k as string ?? throw new TemplateError("keywords must be strings")] = v;
                }
            }
        }

        return new Arguments(positional, named);
    }

    /// <summary>Applies a filter chain whose innermost target is the block body (a null target).</summary>
    private object? ApplyFilterChain(Expr.Filter filter, object? input)
    {
        var value = filter.Target switch
        {
            null => input,
            Expr.Filter inner => ApplyFilterChain(inner, input),
            var other => Eval(other),
        };
        return ApplyFilter(filter.FilterName, value, EvalArgs(filter.Args));
    }
}
