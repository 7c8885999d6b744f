using System.Globalization;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Recursive-descent parser from segments to statements, with Jinja's operator precedence.</summary>
internal sealed class Parser
{
    private readonly List<Segment> _segments;
    private int _seg;
    private List<Token> _tokens = [];
    private int _pos;

    private Parser(List<Segment> segments) => _segments = segments;

    public static List<Stmt> Parse(string source)
    {
        var p = new Parser(Lexer.Split(source));
        var body = p.Block(out string? end);
        if (end is not null)
        {
            throw new ChatTemplateException($"unexpected '{{% {end} %}}' without a matching opening tag");
        }

        return body;
    }

    /// <summary>Parses statements until a block-ending tag; returns that tag's keyword in <paramref name="end"/>.</summary>
    private List<Stmt> Block(out string? end, params string[] terminators)
    {
        var list = new List<Stmt>();
        while (_seg < _segments.Count)
        {
            var s = _segments[_seg++];
            switch (s.Kind)
            {
                case SegmentKind.Text:
                    list.Add(new Stmt.Text(s.Text, s.Line));
                    break;
                case SegmentKind.Output:
                    Begin(s);
                    list.Add(new Stmt.Output(Expression(), s.Line));
                    ExpectEnd();
                    break;
                default:
                    Begin(s);
                    string kw = Peek.Text;
                    if (Array.IndexOf(terminators, kw) >= 0)
                    {
                        end = kw;
                        return list;
                    }

                    list.Add(Statement(s));
                    break;
            }
        }

        if (terminators.Length > 0)
        {
            throw new ChatTemplateException($"missing '{{% {terminators[^1]} %}}' before the end of the template");
        }

        end = null;
        return list;
    }

    private Stmt Statement(Segment s)
    {
        var kw = Next();
        switch (kw.Text)
        {
            case "if":
            {
                var branches = new List<(Expr, List<Stmt>)>();
                var cond = Expression();
                ExpectEnd();
                List<Stmt>? elseBody = null;
                while (true)
                {
                    var body = Block(out var end, "elif", "else", "endif");
                    branches.Add((cond, body));
                    if (end == "elif")
                    {
                        Next();
                        cond = Expression();
                        ExpectEnd();
                        continue;
                    }

                    if (end == "else")
                    {
                        Next();
                        ExpectEnd();
                        elseBody = Block(out _, "endif");
                    }

                    Next();
                    ExpectEnd();
                    break;
                }

                return new Stmt.If(branches, elseBody, s.Line);
            }

            case "for":
            {
                var targets = new List<string> { ExpectName() };
                while (Accept(","))
                {
                    targets.Add(ExpectName());
                }

                ExpectName("in");
                var iter = Ternary(allowIfFilter: false);
                Expr? filter = null;
                if (Peek.Kind == TokenKind.Name && Peek.Text == "if")
                {
                    Next();
                    filter = Expression();
                }

                if (Peek.Kind == TokenKind.Name && Peek.Text == "recursive")
                {
                    throw Error("recursive loops are not supported");
                }

                ExpectEnd();
                var body = Block(out var end, "else", "endfor");
                List<Stmt>? elseBody = null;
                if (end == "else")
                {
                    Next();
                    ExpectEnd();
                    elseBody = Block(out _, "endfor");
                }

                Next();
                ExpectEnd();
                return new Stmt.For(targets, iter, filter, body, elseBody, s.Line);
            }

            case "set":
            {
                string name = ExpectName();
                string? attr = null;
                if (Accept("."))
                {
                    attr = ExpectName();
                }

                if (Peek.Kind == TokenKind.End && attr is null)
                {
                    Next();
                    var body = Block(out _, "endset");
                    Next();
                    ExpectEnd();
                    return new Stmt.SetBlock(name, body, s.Line);
                }

                Expect("=");
                var value = Expression();
                ExpectEnd();
                return new Stmt.Set(name, attr, value, s.Line);
            }

            case "macro":
            {
                string name = ExpectName();
                Expect("(");
                var ps = new List<(string, Expr?)>();
                if (!Accept(")"))
                {
                    do
                    {
                        string pn = ExpectName();
                        Expr? def = Accept("=") ? Expression() : null;
                        ps.Add((pn, def));
                    }
                    while (Accept(","));
                    Expect(")");
                }

                ExpectEnd();
                var body = Block(out _, "endmacro");
                Next();
                ExpectEnd();
                return new Stmt.Macro(name, ps, body, s.Line);
            }

            case "generation":
            case "endgeneration":
                // HF's assistant-mask markers: no output of their own.
                ExpectEnd();
                return new Stmt.Text("", s.Line);
            case "endif" or "endfor" or "endset" or "endmacro" or "else" or "elif":
                throw Error($"unexpected '{{% {kw.Text} %}}' without a matching opening tag");
            default:
                throw Error($"unknown statement '{kw.Text}'");
        }
    }

    private void Begin(Segment s)
    {
        _tokens = s.Tokens;
        _pos = 0;
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[Math.Min(_pos++, _tokens.Count - 1)];

    private bool Accept(string op)
    {
        if (Peek.Kind == TokenKind.Operator && Peek.Text == op)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(string op)
    {
        if (!Accept(op))
        {
            throw Error($"expected '{op}' but found '{Peek.Text}'");
        }
    }

    private string ExpectName(string? keyword = null)
    {
        var t = Next();
        if (t.Kind != TokenKind.Name || (keyword is not null && t.Text != keyword))
        {
            throw Error($"expected {(keyword is null ? "a name" : $"'{keyword}'")} but found '{t.Text}'");
        }

        return t.Text;
    }

    private void ExpectEnd()
    {
        if (Peek.Kind != TokenKind.End)
        {
            throw Error($"unexpected '{Peek.Text}'");
        }
    }

    private ChatTemplateException Error(string message) => new($"line {Peek.Line}: {message}");

    public Expr Expression() => Ternary(allowIfFilter: true);

    private Expr Ternary(bool allowIfFilter)
    {
        var e = Or();
        if (allowIfFilter && Peek.Kind == TokenKind.Name && Peek.Text == "if")
        {
            int line = Next().Line;
            var cond = Or();
            Expr? other = null;
            if (Peek.Kind == TokenKind.Name && Peek.Text == "else")
            {
                Next();
                other = Ternary(true);
            }

            return new Expr.Conditional(cond, e, other, line);
        }

        return e;
    }

    private Expr Or()
    {
        var e = And();
        while (Peek.Kind == TokenKind.Name && Peek.Text == "or")
        {
            int line = Next().Line;
            e = new Expr.Binary("or", e, And(), line);
        }

        return e;
    }

    private Expr And()
    {
        var e = Not();
        while (Peek.Kind == TokenKind.Name && Peek.Text == "and")
        {
            int line = Next().Line;
            e = new Expr.Binary("and", e, Not(), line);
        }

        return e;
    }

    private Expr Not()
    {
        if (Peek.Kind == TokenKind.Name && Peek.Text == "not")
        {
            int line = Next().Line;
            return new Expr.Unary("not", Not(), line);
        }

        return Compare();
    }

    private Expr Compare()
    {
        var e = Concat();
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                Next();
                e = new Expr.Binary(t.Text, e, Concat(), t.Line);
            }
            else if (t.Kind == TokenKind.Name && t.Text == "in")
            {
                Next();
                e = new Expr.Binary("in", e, Concat(), t.Line);
            }
            else if (t.Kind == TokenKind.Name && t.Text == "not" && _tokens[_pos + 1].Text == "in")
            {
                Next();
                Next();
                e = new Expr.Unary("not", new Expr.Binary("in", e, Concat(), t.Line), t.Line);
            }
            else if (t.Kind == TokenKind.Name && t.Text == "is")
            {
                Next();
                bool neg = false;
                if (Peek.Kind == TokenKind.Name && Peek.Text == "not")
                {
                    Next();
                    neg = true;
                }

                string name = ExpectName();
                var args = new List<Expr>();
                if (Accept("("))
                {
                    if (!Accept(")"))
                    {
                        do
                        {
                            args.Add(Expression());
                        }
                        while (Accept(","));
                        Expect(")");
                    }
                }
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                    || (Peek.Kind == TokenKind.Name && Peek.Text is not ("and" or "or" or "else" or "if" or "not")))
                {
                    args.Add(Primary());
                }

                e = new Expr.Test(e, name, args, neg, t.Line);
            }
            else
            {
                return e;
            }
        }
    }

    private Expr Concat()
    {
        var e = Additive();
        while (Peek.Kind == TokenKind.Operator && Peek.Text == "~")
        {
            int line = Next().Line;
            e = new Expr.Binary("~", e, Additive(), line);
        }

        return e;
    }

    private Expr Additive()
    {
        var e = Multiplicative();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-")
        {
            var t = Next();
            e = new Expr.Binary(t.Text, e, Multiplicative(), t.Line);
        }

        return e;
    }

    private Expr Multiplicative()
    {
        var e = UnaryExpr();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%" or "**")
        {
            var t = Next();
            e = new Expr.Binary(t.Text, e, UnaryExpr(), t.Line);
        }

        return e;
    }

    private Expr UnaryExpr()
    {
        if (Peek.Kind == TokenKind.Operator && Peek.Text is "-" or "+")
        {
            var t = Next();
            return new Expr.Unary(t.Text, UnaryExpr(), t.Line);
        }

        return Postfix(Primary());
    }

    private Expr Postfix(Expr e)
    {
        while (true)
        {
            var t = Peek;
            if (t.Kind != TokenKind.Operator)
            {
                return e;
            }

            switch (t.Text)
            {
                case ".":
                    Next();
                    e = new Expr.Attr(e, ExpectName(), t.Line);
                    break;
                case "[":
                {
                    Next();
                    Expr? start = null, stop = null, step = null;
                    bool slice = false;
                    if (!(Peek.Kind == TokenKind.Operator && Peek.Text == ":"))
                    {
                        start = Expression();
                    }

                    if (Accept(":"))
                    {
                        slice = true;
                        if (!(Peek.Kind == TokenKind.Operator && Peek.Text is "]" or ":"))
                        {
                            stop = Expression();
                        }

                        if (Accept(":") && !(Peek.Kind == TokenKind.Operator && Peek.Text == "]"))
                        {
                            step = Expression();
                        }
                    }

                    Expect("]");
                    e = slice ? new Expr.Slice(e, start, stop, step, t.Line) : new Expr.Index(e, start!, t.Line);
                    break;
                }

                case "(":
                {
                    Next();
                    var (args, kwargs) = Arguments();
                    e = new Expr.Call(e, args, kwargs, t.Line);
                    break;
                }

                case "|":
                {
                    Next();
                    string name = ExpectName();
                    var args = new List<Expr>();
                    var kwargs = new List<(string, Expr)>();
                    if (Accept("("))
                    {
                        (args, kwargs) = Arguments();
                    }

                    e = new Expr.Filter(e, name, args, kwargs, t.Line);
                    break;
                }

                default:
                    return e;
            }
        }
    }

    /// <summary>Arguments after an opening parenthesis, through the closing one.</summary>
    private (List<Expr>, List<(string, Expr)>) Arguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        if (Accept(")"))
        {
            return (args, kwargs);
        }

        do
        {
            if (Peek.Kind == TokenKind.Name && _tokens[_pos + 1].Kind == TokenKind.Operator && _tokens[_pos + 1].Text == "=")
            {
                string n = Next().Text;
                Next();
                kwargs.Add((n, Expression()));
            }
            else
            {
                args.Add(Expression());
            }
        }
        while (Accept(","));
        Expect(")");
        return (args, kwargs);
    }

    private Expr Primary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.String:
            {
                // Adjacent string literals concatenate, as in Python.
                string s = t.Text;
                while (Peek.Kind == TokenKind.String)
                {
                    s += Next().Text;
                }

                return new Expr.Literal(s, t.Line);
            }

            case TokenKind.Integer:
                return new Expr.Literal(long.Parse(t.Text, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Float:
                return new Expr.Literal(double.Parse(t.Text, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new Expr.Literal(true, t.Line),
                    "false" or "False" => new Expr.Literal(false, t.Line),
                    "none" or "None" => new Expr.Literal(null, t.Line),
                    _ => new Expr.Var(t.Text, t.Line),
                };
            case TokenKind.Operator when t.Text == "(":
            {
                var e = Expression();
                if (Accept(","))
                {
                    // A tuple: treated as a list.
                    var items = new List<Expr> { e };
                    if (!(Peek.Kind == TokenKind.Operator && Peek.Text == ")"))
                    {
                        do
                        {
                            items.Add(Expression());
                        }
                        while (Accept(",") && !(Peek.Kind == TokenKind.Operator && Peek.Text == ")"));
                    }

                    Expect(")");
                    return new Expr.ListLit(items, t.Line);
                }

                Expect(")");
                return e;
            }

            case TokenKind.Operator when t.Text == "[":
            {
                var items = new List<Expr>();
                if (!Accept("]"))
                {
                    do
                    {
                        if (Peek.Kind == TokenKind.Operator && Peek.Text == "]")
                        {
                            break;
                        }

                        items.Add(Expression());
                    }
                    while (Accept(","));
                    Expect("]");
                }

                return new Expr.ListLit(items, t.Line);
            }

            case TokenKind.Operator when t.Text == "{":
            {
                var items = new List<(Expr, Expr)>();
                if (!Accept("}"))
                {
                    do
                    {
                        if (Peek.Kind == TokenKind.Operator && Peek.Text == "}")
                        {
                            break;
                        }

                        var k = Expression();
                        Expect(":");
                        items.Add((k, Expression()));
                    }
                    while (Accept(","));
                    Expect("}");
                }

                return new Expr.DictLit(items, t.Line);
            }

            default:
                throw new ChatTemplateException($"line {t.Line}: unexpected '{(t.Kind == TokenKind.End ? "end of tag" : t.Text)}'");
        }
    }
}
