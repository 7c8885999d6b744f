namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Rejects unknown filters and tests when the template is parsed, as Jinja2's compiler does — except directly
/// inside an <c>{% if %}</c> (its test and branches) or an inline if-expression, where Jinja2 defers the error to
/// the moment the filter runs (so templates can guard optional filters). Loops, macros and blocks open frames
/// that are not "soft" again, exactly as in Jinja2.
/// </summary>
internal static class NameValidator
{
    public static void Validate(List<Stmt> body) => Statements(body, soft: false);

    private static void Statements(List<Stmt> body, bool soft)
    {
        foreach (var s in body)
        {
            Statement(s, soft);
        }
    }

    private static void Statement(Stmt stmt, bool soft)
    {
        switch (stmt)
        {
            case Stmt.Output o:
                Expression(o.Value, soft);
                break;
            case Stmt.If i:
                foreach (var c in i.Conditions)
                {
                    Expression(c, soft: true);
                }

                foreach (var b in i.Bodies)
                {
                    Statements(b, soft: true);
                }

                if (i.Otherwise is not null)
                {
                    Statements(i.Otherwise, soft: true);
                }

                break;
            case Stmt.For f:
                Expression(f.Iterable, soft);
                if (f.Filter is not null)
                {
                    Expression(f.Filter, soft: false);
                }

                Statements(f.Body, soft: false);
                if (f.Otherwise is not null)
                {
                    Statements(f.Otherwise, soft: false);
                }

                break;
            case Stmt.Set s:
                Expression(s.Value, soft);
                break;
            case Stmt.SetBlock sb:
                if (sb.Filter is not null)
                {
                    Expression(sb.Filter, soft: false);
                }

                Statements(sb.Body, soft: false);
                break;
            case Stmt.Macro m:
                foreach (var d in m.Defaults)
                {
                    if (d is not null)
                    {
                        Expression(d, soft: false);
                    }
                }

                Statements(m.Body, soft: false);
                break;
            case Stmt.With w:
                foreach (var v in w.Values)
                {
                    Expression(v, soft);
                }

                Statements(w.Body, soft: false);
                break;
            case Stmt.FilterBlock fb:
                Expression(fb.Filter, soft: false);
                Statements(fb.Body, soft: false);
                break;
            case Stmt.Block b:
                Statements(b.Body, soft: false);
                break;
        }
    }

    private static void Expression(Expr? e, bool soft)
    {
        // Iterative over the left spine so long filter chains or sums cannot exhaust the stack.
        while (e is not null)
        {
            switch (e)
            {
                case Expr.Filter f:
                    if (!soft && !KnownNames.Filters.Contains(f.FilterName))
                    {
                        throw Unknown("filter", f.FilterName, f);
                    }

                    Arguments(f.Args, soft);
                    e = f.Target;
                    continue;
                case Expr.IsTest t:
                    if (!soft && !KnownNames.Tests.Contains(t.TestName))
                    {
                        throw Unknown("test", t.TestName, t);
                    }

                    Arguments(t.Args, soft);
                    e = t.Target;
                    continue;
                case Expr.Conditional c:
                    Expression(c.Condition, soft: true);
                    Expression(c.Then, soft: true);
                    e = c.Otherwise;
                    soft = true;
                    continue;
                case Expr.GetAttr ga:
                    e = ga.Target;
                    continue;
                case Expr.GetItem gi:
                    Expression(gi.Key, soft);
                    e = gi.Target;
                    continue;
                case Expr.Slice sl:
                    Expression(sl.Start, soft);
                    Expression(sl.Stop, soft);
                    Expression(sl.Step, soft);
                    e = sl.Target;
                    continue;
                case Expr.Call call:
                    Arguments(call.Args, soft);
                    e = call.Target;
                    continue;
                case Expr.Unary u:
                    e = u.Operand;
                    continue;
                case Expr.Binary b:
                    Expression(b.Right, soft);
                    e = b.Left;
                    continue;
                case Expr.Logical l:
                    Expression(l.Right, soft);
                    e = l.Left;
                    continue;
                case Expr.Compare cmp:
                    foreach (var operand in cmp.Operands)
                    {
                        Expression(operand, soft);
                    }

                    e = cmp.First;
                    continue;
                case Expr.Concat cc:
                    foreach (var part in cc.Parts)
                    {
                        Expression(part, soft);
                    }

                    return;
                case Expr.Sequence seq:
                    foreach (var item in seq.Items)
                    {
                        Expression(item, soft);
                    }

                    return;
                case Expr.Dict d:
                    foreach (var k in d.Keys)
                    {
                        Expression(k, soft);
                    }

                    foreach (var v in d.Values)
                    {
                        Expression(v, soft);
                    }

                    return;
                default:
                    return;
            }
        }
    }

    private static void Arguments(CallArgs a, bool soft)
    {
        foreach (var p in a.Positional)
        {
            Expression(p, soft);
        }

        foreach (var v in a.Values)
        {
            Expression(v, soft);
        }

        Expression(a.Star, soft);
        Expression(a.DoubleStar, soft);
    }

    private static ChatTemplateException Unknown(string kind, string name, Expr at) =>
        new($"no {kind} named '{name}'", ChatTemplateErrorKind.Syntax, at.Line, at.Column);
}
