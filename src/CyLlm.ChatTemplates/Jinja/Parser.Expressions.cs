using System.Globalization;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Expressions, loosest first: conditional, or, and, not, comparisons (chained), + -, ~, * / // %, **,
/// unary - +, then primaries with postfix . [] () and the filter/test suffixes | and is.
/// </summary>
internal sealed partial class Parser
{
    /// <summary>Expressions separated by commas form a tuple (<c>{{ a, b }}</c>, <c>set x = 1, 2</c>).</summary>
    private Expr ParseTuple(bool condExpr, string[]? extraEnd, bool explicitParens)
    {
        var start = Peek;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (IsTupleEnd(extraEnd))
            {
                break;
            }

            items.Add(condExpr ? ParseExpression() : ParseOr());
            if (Peek.IsOperator(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }

        if (!isTuple)
        {
            if (items.Count > 0)
            {
                return items[0];
            }

            if (!explicitParens)
            {
                throw Error($"expected an expression, found {Peek.Describe()}", Peek);
            }
        }

        return new Expr.Sequence(items, true, start.Line, start.Column);
    }

    private bool IsTupleEnd(string[]? extraEnd)
    {
        var t = Peek;
        if (t.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof || t.IsOperator(")"))
        {
            return true;
        }

        return extraEnd is not null && t.Kind == TokenKind.Name && Array.IndexOf(extraEnd, t.Text) >= 0;
    }

    /// <summary>A full expression including <c>a if b else c</c>.</summary>
    private Expr ParseExpression()
    {
        var start = Peek;
        Enter(start);
        var e = ParseOr();
        while (Peek.IsName("if"))
        {
            Next();
            var test = ParseOr();
            Expr? otherwise = null;
            if (Peek.IsName("else"))
            {
                Next();
                otherwise = ParseExpression();
            }

            e = new Expr.Conditional(test, e, otherwise, start.Line, start.Column);
        }

        Exit();
        return e;
    }

    private Expr ParseOr()
    {
        var e = ParseAnd();
        while (Peek.IsName("or"))
        {
            var t = Next();
            e = new Expr.Logical(false, e, ParseAnd(), t.Line, t.Column);
        }

        return e;
    }

    private Expr ParseAnd()
    {
        var e = ParseNot();
        while (Peek.IsName("and"))
        {
            var t = Next();
            e = new Expr.Logical(true, e, ParseNot(), t.Line, t.Column);
        }

        return e;
    }

    private Expr ParseNot()
    {
        if (Peek.IsName("not"))
        {
            var t = Next();
            Enter(t);
            var operand = ParseNot();
            Exit();
            return new Expr.Unary('!', operand, t.Line, t.Column);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Peek;
        var first = ParseMath1();
        List<CompareOp>? ops = null;
        List<Expr>? operands = null;
        while (true)
        {
            var t = Peek;
            CompareOp op;
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                op = t.Text switch
                {
                    "==" => CompareOp.Eq,
                    "!=" => CompareOp.Ne,
                    "<" => CompareOp.Lt,
                    "<=" => CompareOp.Le,
                    ">" => CompareOp.Gt,
                    _ => CompareOp.Ge,
                };
                Next();
            }
            else if (t.IsName("in"))
            {
                op = CompareOp.In;
                Next();
            }
            else if (t.IsName("not") && PeekAt(1).IsName("in"))
            {
                op = CompareOp.NotIn;
                Next();
                Next();
            }
            else
            {
                break;
            }

            (ops ??= []).Add(op);
            (operands ??= []).Add(ParseMath1());
        }

        return ops is null ? first : new Expr.Compare(first, ops, operands!, start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        var e = ParseConcat();
        while (Peek.IsOperator("+") || Peek.IsOperator("-"))
        {
            var t = Next();
            e = new Expr.Binary(t.Text == "+" ? BinaryOp.Add : BinaryOp.Sub, e, ParseConcat(), t.Line, t.Column);
        }

        return e;
    }

    private Expr ParseConcat()
    {
        var start = Peek;
        var e = ParseMath2();
        if (!Peek.IsOperator("~"))
        {
            return e;
        }

        var parts = new List<Expr> { e };
        while (Peek.IsOperator("~"))
        {
            Next();
            parts.Add(ParseMath2());
        }

        return new Expr.Concat(parts, start.Line, start.Column);
    }

    private Expr ParseMath2()
    {
        var e = ParsePow();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%")
        {
            var t = Next();
            var op = t.Text switch
            {
                "*" => BinaryOp.Mul,
                "/" => BinaryOp.Div,
                "//" => BinaryOp.FloorDiv,
                _ => BinaryOp.Mod,
            };
            e = new Expr.Binary(op, e, ParsePow(), t.Line, t.Column);
        }

        return e;
    }

    private Expr ParsePow()
    {
        // Left-associative in Jinja: 2 ** 3 ** 2 == 64.
        var e = ParseUnary(withFilter: true);
        while (Peek.IsOperator("**"))
        {
            var t = Next();
            e = new Expr.Binary(BinaryOp.Pow, e, ParseUnary(withFilter: true), t.Line, t.Column);
        }

        return e;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Peek;
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            Next();
            Enter(t);
            node = new Expr.Unary(t.Text[0], ParseUnary(withFilter: false), t.Line, t.Column);
            Exit();
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Next();
                return t.Text switch
                {
                    "true" or "True" => new Expr.Const(true, t.Line, t.Column),
                    "false" or "False" => new Expr.Const(false, t.Line, t.Column),
                    "none" or "None" => new Expr.Const(null, t.Line, t.Column),
                    _ => new Expr.Variable(t.Text, t.Line, t.Column),
                };
            case TokenKind.String:
                {
                    Next();
                    string s = t.Text;
                    if (Peek.Kind == TokenKind.String)
                    {
                        // Adjacent literals concatenate, as in Python.
                        var sb = new System.Text.StringBuilder(s);
                        while (Peek.Kind == TokenKind.String)
                        {
                            sb.Append(Next().Text);
                        }

                        s = sb.ToString();
                    }

                    return new Expr.Const(s, t.Line, t.Column);
                }

            case TokenKind.Integer:
                Next();
                return new Expr.Const(ParseInteger(t), t.Line, t.Column);
            case TokenKind.Float:
                Next();
                return new Expr.Const(double.Parse(t.Text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Operator when t.Text == "(":
                {
                    Next();
                    var e = ParseTuple(condExpr: true, null, explicitParens: true);
                    Expect(TokenKind.Operator, ")");
                    return e;
                }

            case TokenKind.Operator when t.Text == "[":
                {
                    Next();
                    var items = new List<Expr>();
                    while (!Peek.IsOperator("]"))
                    {
                        if (items.Count > 0)
                        {
                            Expect(TokenKind.Operator, ",");
                            if (Peek.IsOperator("]"))
                            {
                                break;
                            }
                        }

                        items.Add(ParseExpression());
                    }

                    Next();
                    return new Expr.Sequence(items, false, t.Line, t.Column);
                }

            case TokenKind.Operator when t.Text == "{":
                {
                    Next();
                    var keys = new List<Expr>();
                    var values = new List<Expr>();
                    while (!Peek.IsOperator("}"))
                    {
                        if (keys.Count > 0)
                        {
                            Expect(TokenKind.Operator, ",");
                            if (Peek.IsOperator("}"))
                            {
                                break;
                            }
                        }

                        keys.Add(ParseExpression());
                        Expect(TokenKind.Operator, ":");
                        values.Add(ParseExpression());
                    }

                    Next();
                    return new Expr.Dict(keys, values, t.Line, t.Column);
                }

            default:
                throw Error($"unexpected {t.Describe()}", t);
        }
    }

    private static long ParseInteger(Token t)
    {
        string s = t.Text.Replace("_", "", StringComparison.Ordinal);
        int radix = s.Length > 2 && s[0] == '0' ? char.ToLowerInvariant(s[1]) switch { 'b' => 2, 'o' => 8, 'x' => 16, _ => 10 } : 10;
        if (radix == 10)
        {
            if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            {
                return v;
            }
        }
        else
        {
            ulong acc = 0;
            bool overflow = false;
            foreach (char c in s.AsSpan(2))
            {
                int d = char.IsAsciiDigit(c) ? c - '0' : char.ToLowerInvariant(c) - 'a' + 10;
                overflow |= acc > (ulong)(long.MaxValue / radix);
                acc = (acc * (ulong)radix) + (ulong)d;
            }

            if (!overflow && acc <= long.MaxValue)
            {
                return (long)acc;
            }
        }

        throw Error("integer literal too large (limit is 64-bit)", t);
    }
}
