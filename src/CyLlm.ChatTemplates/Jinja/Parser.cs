using System.Runtime.CompilerServices;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Recursive-descent parser with Jinja2's grammar and operator precedence (parser.py): statements here,
/// expressions in Parser.Expressions.cs. Nesting is bounded so hostile input cannot overflow the stack.
/// </summary>
internal sealed partial class Parser
{
    // Nested expressions/blocks allowed; real chat templates stay below 15.
    private const int MaxNesting = 100;

    private readonly List<Token> _tokens;
    private int _pos;
    private int _depth;

    // Enclosing for-loops of the statement being parsed (break/continue must be inside one; macros reset it).
    private int _loopDepth;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static List<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        var body = parser.ParseBody(null, out _, default);
        NameValidator.Validate(body);
        return body;
    }

    private Token Peek => _tokens[_pos];

    private Token PeekAt(int k) => _tokens[Math.Min(_pos + k, _tokens.Count - 1)];

    private Token Next()
    {
        var t = _tokens[_pos];
        if (_pos < _tokens.Count - 1)
        {
            _pos++;
        }

        return t;
    }

    /// <summary>
    /// Parses template content until a <c>{% tag %}</c> whose name is in <paramref name="endTags"/> (consumed
    /// up to its name, returned in <paramref name="endTag"/>), or to the end of the template when null.
    /// </summary>
    private List<Stmt> ParseBody(string[]? endTags, out string? endTag, Token opener)
    {
        Enter(opener);
        var body = new List<Stmt>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (endTags is null)
                    {
                        Exit();
                        endTag = null;
                        return body;
                    }

                    throw Error(
                        $"unexpected end of template: missing '{{% {endTags[^1]} %}}' for the '{opener.Text}' at line {opener.Line}, column {opener.Column}",
                        t);
                case TokenKind.Text:
                    Next();
                    body.Add(new Stmt.Text(t.Text, t.Line, t.Column));
                    break;
                case TokenKind.VariableBegin:
                    {
                        Next();
                        var value = ParseTuple(condExpr: true, null, explicitParens: false);
                        Expect(TokenKind.VariableEnd);
                        body.Add(new Stmt.Output(value, t.Line, t.Column));
                        break;
                    }

                case TokenKind.BlockBegin:
                    {
                        var name = PeekAt(1);
                        if (endTags is not null && name.Kind == TokenKind.Name && Array.IndexOf(endTags, name.Text) >= 0)
                        {
                            Next();
                            Next();
                            Exit();
                            endTag = name.Text;
                            return body;
                        }

                        Next();
                        body.Add(ParseStatement());
                        break;
                    }

                default:
                    throw Error($"unexpected {t.Describe()}", t);
            }
        }
    }

    private Stmt ParseStatement()
    {
        var kw = Peek;
        if (kw.Kind != TokenKind.Name)
        {
            throw Error($"expected a statement name after '{{%', found {kw.Describe()}", kw);
        }

        switch (kw.Text)
        {
            case "if":
                return ParseIf();
            case "for":
                return ParseFor();
            case "set":
                return ParseSet();
            case "macro":
                return ParseMacro();
            case "with":
                return ParseWith();
            case "filter":
                return ParseFilterBlock();
            case "print":
                {
                    Next();
                    var value = ParseTuple(condExpr: true, null, explicitParens: false);
                    ExpectBlockEnd();
                    return new Stmt.Output(value, kw.Line, kw.Column);
                }

            case "generation":
                {
                    Next();
                    ExpectBlockEnd();
                    var body = ParseBody(["endgeneration"], out _, kw);
                    ExpectBlockEnd();
                    return new Stmt.Block(body, kw.Line, kw.Column);
                }

            case "break" or "continue":
                Next();
                if (_loopDepth == 0)
                {
                    throw Error($"'{{% {kw.Text} %}}' outside of a for loop", kw);
                }

                ExpectBlockEnd();
                return new Stmt.LoopControl(kw.Text == "break", kw.Line, kw.Column);
            case "call" or "include" or "import" or "from" or "extends" or "block" or "autoescape" or "do":
                throw Error($"the '{kw.Text}' tag is not supported in chat templates", kw);
            default:
                throw Error($"unknown tag '{kw.Text}'", kw);
        }
    }

    private Stmt ParseIf()
    {
        var kw = Next();
        var conditions = new List<Expr>();
        var bodies = new List<List<Stmt>>();
        List<Stmt>? otherwise = null;
        var cond = ParseTuple(condExpr: false, null, explicitParens: false);
        ExpectBlockEnd();
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"], out var end, kw);
            conditions.Add(cond);
            bodies.Add(body);
            if (end == "elif")
            {
                cond = ParseTuple(condExpr: false, null, explicitParens: false);
                ExpectBlockEnd();
                continue;
            }

            ExpectBlockEnd();
            if (end == "else")
            {
                otherwise = ParseBody(["endif"], out _, kw);
                ExpectBlockEnd();
            }

            return new Stmt.If(conditions, bodies, otherwise, kw.Line, kw.Column);
        }
    }

    private Stmt ParseFor()
    {
        var kw = Next();
        var target = ParseAssignTarget("in");
        ExpectName("in");
        var iterable = ParseTuple(condExpr: false, ["recursive"], explicitParens: false);
        Expr? filter = null;
        if (Peek.IsName("if"))
        {
            Next();
            filter = ParseExpression();
        }

        if (Peek.IsName("recursive"))
        {
            throw Error("recursive for loops are not supported", Peek);
        }

        ExpectBlockEnd();
        _loopDepth++;
        var body = ParseBody(["else", "endfor"], out var end, kw);
        _loopDepth--;
        ExpectBlockEnd();
        List<Stmt>? otherwise = null;
        if (end == "else")
        {
            otherwise = ParseBody(["endfor"], out _, kw);
            ExpectBlockEnd();
        }

        return new Stmt.For(target, iterable, filter, body, otherwise, kw.Line, kw.Column);
    }

    private Stmt ParseSet()
    {
        var kw = Next();
        AssignTarget target;
        if (Peek.Kind == TokenKind.Name && PeekAt(1).IsOperator("."))
        {
            string ns = Next().Text;
            Next();
            target = new AssignTarget([ns], false, ExpectName());
            Expect(TokenKind.Operator, "=");
            var nsValue = ParseTuple(condExpr: true, null, explicitParens: false);
            ExpectBlockEnd();
            return new Stmt.Set(target, nsValue, kw.Line, kw.Column);
        }

        target = ParseAssignTarget("=");
        if (Peek.IsOperator("="))
        {
            Next();
            var value = ParseTuple(condExpr: true, null, explicitParens: false);
            ExpectBlockEnd();
            return new Stmt.Set(target, value, kw.Line, kw.Column);
        }

        var filter = Peek.IsOperator("|") ? ParseFilter(null, startInline: false) : null;
        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _, kw);
        ExpectBlockEnd();
        return new Stmt.SetBlock(target, filter, body, kw.Line, kw.Column);
    }

    private Stmt ParseMacro()
    {
        var kw = Next();
        string name = ExpectName();
        Expect(TokenKind.Operator, "(");
        var parameters = new List<string>();
        var defaults = new List<Expr?>();
        while (!Peek.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Peek.IsOperator(")"))
                {
                    break;
                }
            }

            var at = Peek;
            parameters.Add(ExpectName());
            if (Peek.IsOperator("="))
            {
                Next();
                defaults.Add(ParseExpression());
            }
            else
            {
                if (defaults.Count > 0 && defaults[^1] is not null)
                {
                    throw Error("non-default argument follows default argument", at);
                }

                defaults.Add(null);
            }
        }

        Next();
        ExpectBlockEnd();
        int loops = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endmacro"], out _, kw);
        _loopDepth = loops;
        ExpectBlockEnd();
        return new Stmt.Macro(name, parameters, defaults, body, kw.Line, kw.Column);
    }

    private Stmt ParseWith()
    {
        var kw = Next();
        var targets = new List<AssignTarget>();
        var values = new List<Expr>();
        while (Peek.Kind != TokenKind.BlockEnd)
        {
            if (targets.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            targets.Add(ParseAssignTarget("="));
            Expect(TokenKind.Operator, "=");
            values.Add(ParseExpression());
        }

        ExpectBlockEnd();
        var body = ParseBody(["endwith"], out _, kw);
        ExpectBlockEnd();
        return new Stmt.With(targets, values, body, kw.Line, kw.Column);
    }

    private Stmt ParseFilterBlock()
    {
        var kw = Next();
        var filter = ParseFilter(null, startInline: true);
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _, kw);
        ExpectBlockEnd();
        return new Stmt.FilterBlock(filter, body, kw.Line, kw.Column);
    }

    /// <summary>One name, or names to unpack (<c>a, b</c> or <c>(a, b)</c>), ending before <paramref name="end"/>.</summary>
    private AssignTarget ParseAssignTarget(string end)
    {
        var names = new List<string>();
        bool paren = Peek.IsOperator("(");
        if (paren)
        {
            Next();
        }

        bool isTuple = paren;
        while (true)
        {
            if (names.Count > 0)
            {
                if (!Peek.IsOperator(","))
                {
                    break;
                }

                Next();
                isTuple = true;
                if ((paren && Peek.IsOperator(")")) || (!paren && (Peek.IsName(end) || Peek.IsOperator(end))))
                {
                    break;
                }
            }

            var t = Peek;
            string name = ExpectName();
            if (name is "true" or "false" or "none" or "True" or "False" or "None")
            {
                throw Error($"cannot assign to '{name}'", t);
            }

            names.Add(name);
        }

        if (paren)
        {
            Expect(TokenKind.Operator, ")");
        }

        return new AssignTarget(names, isTuple, null);
    }

    private void Enter(Token at)
    {
        if (++_depth > MaxNesting)
        {
            throw new ChatTemplateException($"nesting deeper than {MaxNesting} levels", ChatTemplateErrorKind.LimitExceeded, at.Line, at.Column);
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ChatTemplateException("the template nests too deeply for this thread's stack", ChatTemplateErrorKind.LimitExceeded, at.Line, at.Column);
        }
    }

    private void Exit() => _depth--;

    private void ExpectBlockEnd() => Expect(TokenKind.BlockEnd);

    private Token Expect(TokenKind kind, string? text = null)
    {
        var t = Peek;
        if (t.Kind != kind || (text is not null && t.Text != text))
        {
            string want = kind switch
            {
                TokenKind.BlockEnd => "end of statement block '%}'",
                TokenKind.VariableEnd => "end of print statement '}}'",
                _ => $"'{text}'",
            };
            throw Error($"expected {want}, found {t.Describe()}", t);
        }

        return Next();
    }

    private string ExpectName(string? keyword = null)
    {
        var t = Peek;
        if (t.Kind != TokenKind.Name || (keyword is not null && t.Text != keyword))
        {
            throw Error($"expected {(keyword is null ? "a name" : $"'{keyword}'")}, found {t.Describe()}", t);
        }

        return Next().Text;
    }

    private static ChatTemplateException Error(string message, Token at) =>
        new(message, ChatTemplateErrorKind.Syntax, at.Line, at.Column);
}
