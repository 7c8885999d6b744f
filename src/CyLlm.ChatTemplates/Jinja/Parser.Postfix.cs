namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Postfix syntax: attribute and item access, slices, calls and their arguments, filters and tests.</summary>
internal sealed partial class Parser
{
    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOperator(".") || t.IsOperator("["))
            {
                node = ParseSubscript(node);
            }
            else if (t.IsOperator("("))
            {
                node = new Expr.Call(node, ParseCallArgs(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOperator("|"))
            {
                node = ParseFilter(node, startInline: false);
            }
            else if (t.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (t.IsOperator("("))
            {
                node = new Expr.Call(node, ParseCallArgs(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var t = Next();
        if (t.Text == ".")
        {
            var attr = Next();
            if (attr.Kind == TokenKind.Name)
            {
                return new Expr.GetAttr(node, attr.Text, attr.Line, attr.Column);
            }

            if (attr.Kind == TokenKind.Integer)
            {
                return new Expr.GetItem(node, new Expr.Const(ParseInteger(attr), attr.Line, attr.Column), attr.Line, attr.Column);
            }

            throw Error($"expected an attribute name after '.', found {attr.Describe()}", attr);
        }

        var keys = new List<Expr>();
        Expr.Slice? slice = null;
        while (!Peek.IsOperator("]"))
        {
            if (keys.Count > 0 || slice is not null)
            {
                Expect(TokenKind.Operator, ",");
            }

            var key = ParseSubscribed(node, t);
            if (key is Expr.Slice s && keys.Count == 0 && slice is null)
            {
                slice = s;
            }
            else
            {
                keys.Add(key);
            }
        }

        Next();
        if (slice is not null && keys.Count == 0)
        {
            return slice;
        }

        if (slice is not null || keys.Count == 0)
        {
            throw Error("unsupported subscript", t);
        }

        var index = keys.Count == 1 ? keys[0] : new Expr.Sequence(keys, true, t.Line, t.Column);
        return new Expr.GetItem(node, index, t.Line, t.Column);
    }

    /// <summary>One subscript: an expression, or a slice <c>start:stop:step</c> (returned as a Slice of <paramref name="target"/>).</summary>
    private Expr ParseSubscribed(Expr target, Token bracket)
    {
        Expr? start = null;
        if (!Peek.IsOperator(":"))
        {
            var e = ParseExpression();
            if (!Peek.IsOperator(":"))
            {
                return e;
            }

            start = e;
        }

        Next();
        Expr? stop = null, step = null;
        if (!Peek.IsOperator(":") && !Peek.IsOperator("]") && !Peek.IsOperator(","))
        {
            stop = ParseExpression();
        }

        if (Peek.IsOperator(":"))
        {
            Next();
            if (!Peek.IsOperator("]") && !Peek.IsOperator(","))
            {
                step = ParseExpression();
            }
        }

        return new Expr.Slice(target, start, stop, step, bracket.Line, bracket.Column);
    }

    private CallArgs ParseCallArgs()
    {
        var open = Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var names = new List<string>();
        var values = new List<Expr>();
        Expr? star = null, doubleStar = null;
        bool requireComma = false;
        while (!Peek.IsOperator(")"))
        {
            if (requireComma)
            {
                Expect(TokenKind.Operator, ",");
                if (Peek.IsOperator(")"))
                {
                    break;
                }
            }

            var t = Peek;
            if (t.IsOperator("*"))
            {
                Next();
                Ensure(star is null && doubleStar is null, t);
                star = ParseExpression();
            }
            else if (t.IsOperator("**"))
            {
                Next();
                Ensure(doubleStar is null, t);
                doubleStar = ParseExpression();
            }
            else if (t.Kind == TokenKind.Name && PeekAt(1).IsOperator("="))
            {
                Ensure(doubleStar is null, t);
                Next();
                Next();
                names.Add(t.Text);
                values.Add(ParseExpression());
            }
            else
            {
                Ensure(star is null && doubleStar is null && names.Count == 0, t);
                positional.Add(ParseExpression());
            }

            requireComma = true;
        }

        Expect(TokenKind.Operator, ")");
        _ = open;
        return new CallArgs(positional, names, values, star, doubleStar);
    }

    private static void Ensure(bool ok, Token at)
    {
        if (!ok)
        {
            throw Error("invalid argument syntax (positional after keyword, or repeated *args/**kwargs)", at);
        }
    }

    /// <summary>A filter chain <c>| f(args) | g</c>; <paramref name="startInline"/> when the first name has no "|".</summary>
    private Expr.Filter ParseFilter(Expr? node, bool startInline)
    {
        Expr.Filter? result = null;
        while (Peek.IsOperator("|") || startInline)
        {
            if (!startInline)
            {
                Next();
            }

            startInline = false;
            var t = Peek;
            string name = ExpectName();
            while (Peek.IsOperator("."))
            {
                Next();
                name += "." + ExpectName();
            }

            var args = Peek.IsOperator("(") ? ParseCallArgs() : CallArgs.None;
            result = new Expr.Filter(result ?? node, name, args, t.Line, t.Column);
        }

        return result ?? throw Error($"expected a filter name, found {Peek.Describe()}", Peek);
    }

    private Expr ParseTest(Expr node)
    {
        var isTok = Next();
        bool negated = false;
        if (Peek.IsName("not"))
        {
            Next();
            negated = true;
        }

        var t = Peek;
        string name = ExpectName();
        while (Peek.IsOperator("."))
        {
            Next();
            name += "." + ExpectName();
        }

        CallArgs args;
        var p = Peek;
        if (p.IsOperator("("))
        {
            args = ParseCallArgs();
        }
        else if ((p.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || p.IsOperator("[") || p.IsOperator("{"))
            && !p.IsName("else") && !p.IsName("or") && !p.IsName("and"))
        {
            if (p.IsName("is"))
            {
                throw Error("tests cannot be chained with 'is'", p);
            }

            var arg = ParsePostfix(ParsePrimary());
            args = new CallArgs([arg], [], [], null, null);
        }
        else
        {
            args = CallArgs.None;
        }

        Expr test = new Expr.IsTest(node, name, args, t.Line, t.Column);
        return negated ? new Expr.Unary('!', test, isTok.Line, isTok.Column) : test;
    }
}
