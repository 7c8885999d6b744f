namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Arithmetic, comparison and membership with Python's rules (bool counts as int, 64-bit ints).</summary>
internal sealed partial class Interpreter
{
    private object? Arithmetic(BinaryOp op, object? a, object? b)
    {
        if (a is Undefined ua)
        {
            throw ua.Fail();
        }

        if (b is Undefined ub)
        {
            throw ub.Fail();
        }

        if (a is Markup || b is Markup)
        {
            return MarkupArithmetic(op, a, b);
        }

        switch (op)
        {
            case BinaryOp.Add:
                if (a is string sa && b is string sb)
                {
                    _budget.CheckLength((long)sa.Length + sb.Length);
                    return string.Concat(sa, sb);
                }

                if (a is List<object?> la && b is List<object?> lb && (a is TupleValue) == (b is TupleValue) && a is not GeneratorValue && b is not GeneratorValue)
                {
                    RenderBudget.CheckItems((long)la.Count + lb.Count);
                    _budget.Steps(la.Count + lb.Count);
                    List<object?> r = a is TupleValue ? new TupleValue(la.Count + lb.Count) : new List<object?>(la.Count + lb.Count);
                    r.AddRange(la);
                    r.AddRange(lb);
                    return r;
                }

                break;
            case BinaryOp.Mul:
                if (a is string rs && IsInteger(b))
                {
                    return RepeatString(rs, AsLong(b!));
                }

                if (b is string rs2 && IsInteger(a))
                {
                    return RepeatString(rs2, AsLong(a!));
                }

                if (a is List<object?> rl && a is not GeneratorValue && IsInteger(b))
                {
                    return RepeatList(rl, AsLong(b!), a is TupleValue);
                }

                if (b is List<object?> rl2 && b is not GeneratorValue && IsInteger(a))
                {
                    return RepeatList(rl2, AsLong(a!), b is TupleValue);
                }

                break;
            case BinaryOp.Mod when a is string fmt:
                return PyFormat.Percent(this, fmt, b);
        }

        if (!IsNumber(a) || !IsNumber(b))
        {
            string sym = op switch
            {
                BinaryOp.Add => "+",
                BinaryOp.Sub => "-",
                BinaryOp.Mul => "*",
                BinaryOp.Div => "/",
                BinaryOp.FloorDiv => "//",
                BinaryOp.Mod => "%",
                _ => "** or pow()",
            };
            throw new TemplateError($"unsupported operand type(s) for {sym}: '{TypeName(a)}' and '{TypeName(b)}'");
        }

        bool floats = a is double || b is double;
        if (op == BinaryOp.Div)
        {
            double den = ToDouble(b!);
            return den == 0 ? throw new TemplateError("division by zero") : ToDouble(a!) / den;
        }

        if (!floats)
        {
            long x = AsLong(a!), y = AsLong(b!);
            // Arms are boxed one by one: a switch over long and double arms would widen every result to double.
            return op switch
            {
                BinaryOp.Add => (object)checked(x + y),
                BinaryOp.Sub => checked(x - y),
                BinaryOp.Mul => checked(x * y),
                BinaryOp.FloorDiv => PyNumber.FloorDiv(x, y),
                BinaryOp.Mod => PyNumber.Mod(x, y),
                _ => y >= 0 ? PyNumber.Pow(x, y) : (object)FloatPow(x, y),
            };
        }

        double p = ToDouble(a!), q = ToDouble(b!);
        return op switch
        {
            BinaryOp.Add => p + q,
            BinaryOp.Sub => p - q,
            BinaryOp.Mul => p * q,
            BinaryOp.FloorDiv => q == 0 ? throw new TemplateError("float floor division by zero") : Math.Floor(p / q),
            BinaryOp.Mod => PyNumber.Mod(p, q),
            _ => FloatPow(p, q),
        };
    }

    private static bool IsInteger(object? v) => v is long or bool;

    /// <summary>Markup operators: the plain-string operand is HTML-escaped (MarkupSafe's __add__/__mul__/__mod__).</summary>
    private object? MarkupArithmetic(BinaryOp op, object? a, object? b)
    {
        switch (op)
        {
            case BinaryOp.Add when a is Markup or string && b is Markup or string:
                {
                    string left = a is Markup ma ? ma.Value : Escape((string)a!);
                    string right = b is Markup mb ? mb.Value : Escape((string)b!);
                    _budget.CheckLength((long)left.Length + right.Length);
                    return new Markup(left + right);
                }

            case BinaryOp.Mul when a is Markup ma2 && IsInteger(b):
                return new Markup(RepeatString(ma2.Value, AsLong(b!)));
            case BinaryOp.Mul when b is Markup mb2 && IsInteger(a):
                return new Markup(RepeatString(mb2.Value, AsLong(a!)));
            case BinaryOp.Mod when a is Markup fmt:
                {
                    object? args = b switch
                    {
                        TupleValue t => new TupleValue(t.Select(EscapeArgument)),
                        PyDict d => EscapeValues(d),
                        _ => EscapeArgument(b),
                    };
                    return new Markup(PyFormat.Percent(this, fmt.Value, args));
                }

            case BinaryOp.Add or BinaryOp.Mul:
                throw new TemplateError($"unsupported operand type(s) for {(op == BinaryOp.Add ? "+" : "*")}: '{TypeName(a)}' and '{TypeName(b)}'");
            default:
                return Arithmetic(op, Plain(a), Plain(b));
        }

        object? EscapeArgument(object? x) => x is string s ? new Markup(Escape(s)) : x;

        PyDict EscapeValues(PyDict d)
        {
            var r = new PyDict(d.Count);
            foreach (var (k, v) in d)
            {
                r[k] = EscapeArgument(v);
            }

            return r;
        }
    }

    private static double FloatPow(double x, double y)
    {
        if (x == 0 && y < 0)
        {
            throw new TemplateError("0.0 cannot be raised to a negative power");
        }

        if (x < 0 && y != Math.Floor(y))
        {
            throw new TemplateError("a negative number cannot be raised to a fractional power here (complex result)");
        }

        return Math.Pow(x, y);
    }

    private string RepeatString(string s, long n)
    {
        if (n <= 0 || s.Length == 0)
        {
            return "";
        }

        _budget.CheckLength(s.Length * Math.Min(n, int.MaxValue));
        return new System.Text.StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();
    }

    private List<object?> RepeatList(List<object?> l, long n, bool tuple)
    {
        long count = n <= 0 ? 0 : l.Count * Math.Min(n, int.MaxValue);
        RenderBudget.CheckItems(count);
        _budget.Steps(count);
        List<object?> r = tuple ? new TupleValue((int)count) : new List<object?>((int)count);
        for (long i = 0; i < n && l.Count > 0; i++)
        {
            r.AddRange(l);
        }

        return r;
    }

    private static object Negate(object? v) => v switch
    {
        long l => (object)checked(-l),
        double d => -d,
        bool b => b ? -1L : 0L,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"bad operand type for unary -: '{TypeName(v)}'"),
    };

    private static object Positive(object? v) => v switch
    {
        long or double => (object)v,
        bool b => b ? 1L : 0L,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"bad operand type for unary +: '{TypeName(v)}'"),
    };

    private bool CompareValues(CompareOp op, object? a, object? b) => op switch
    {
        CompareOp.Eq => ValueEquals(a, b),
        CompareOp.Ne => !ValueEquals(a, b),
        CompareOp.Lt => CompareOrder(a, b, "<") < 0,
        CompareOp.Le => CompareOrder(a, b, "<=") <= 0,
        CompareOp.Gt => CompareOrder(a, b, ">") > 0,
        CompareOp.Ge => CompareOrder(a, b, ">=") >= 0,
        CompareOp.In => Contains(b, a),
        _ => !Contains(b, a),
    };

    /// <summary>Python <c>item in container</c>.</summary>
    private bool Contains(object? container, object? item)
    {
        container = Plain(container);
        item = Plain(item);
        switch (container)
        {
            case string s:
                return item is string sub
                    ? s.Contains(sub, StringComparison.Ordinal)
                    : throw new TemplateError($"'in <string>' requires string as left operand, not {TypeName(item)}");
            case List<object?> l:
                foreach (var x in Iterate(l))
                {
                    if (ValueEquals(x, item))
                    {
                        return true;
                    }
                }

                return false;
            case PyDict d:
                return d.ContainsKey(DictKey(item));
            case Undefined:
                return false;
            default:
                throw new TemplateError($"argument of type '{TypeName(container)}' is not iterable");
        }
    }
}
