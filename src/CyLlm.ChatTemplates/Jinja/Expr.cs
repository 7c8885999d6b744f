namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Expression nodes; the cases are nested so the family reads as one unit. Positions are 1-based.</summary>
internal abstract class Expr(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public sealed class Const(object? value, int line, int column) : Expr(line, column)
    {
        public object? Value { get; } = value;
    }

    public sealed class Variable(string id, int line, int column) : Expr(line, column)
    {
        public string Id { get; } = id;
    }

    /// <summary>A list literal, or a tuple (parenthesized or bare comma list).</summary>
    public sealed class Sequence(List<Expr> items, bool isTuple, int line, int column) : Expr(line, column)
    {
        public List<Expr> Items { get; } = items;

        public bool IsTuple { get; } = isTuple;
    }

    public sealed class Dict(List<Expr> keys, List<Expr> values, int line, int column) : Expr(line, column)
    {
        public List<Expr> Keys { get; } = keys;

        public List<Expr> Values { get; } = values;
    }

    /// <summary><c>target.name</c>: attribute first, then item (Jinja's getattr).</summary>
    public sealed class GetAttr(Expr target, string attribute, int line, int column) : Expr(line, column)
    {
        public Expr Target { get; } = target;

        public string Attribute { get; } = attribute;
    }

    /// <summary><c>target[key]</c>: item first, then attribute (Jinja's getitem).</summary>
    public sealed class GetItem(Expr target, Expr key, int line, int column) : Expr(line, column)
    {
        public Expr Target { get; } = target;

        public Expr Key { get; } = key;
    }

    public sealed class Slice(Expr target, Expr? start, Expr? stop, Expr? step, int line, int column) : Expr(line, column)
    {
        public Expr Target { get; } = target;

        public Expr? Start { get; } = start;

        public Expr? Stop { get; } = stop;

        public Expr? Step { get; } = step;
    }

    public sealed class Call(Expr target, CallArgs args, int line, int column) : Expr(line, column)
    {
        public Expr Target { get; } = target;

        public CallArgs Args { get; } = args;
    }

    /// <summary><c>target | name(args)</c>; a null target stands for the body of a filter or set block.</summary>
    public sealed class Filter(Expr? target, string name, CallArgs args, int line, int column) : Expr(line, column)
    {
        public Expr? Target { get; } = target;

        public string FilterName { get; } = name;

        public CallArgs Args { get; } = args;
    }

    public sealed class IsTest(Expr target, string name, CallArgs args, int line, int column) : Expr(line, column)
    {
        public Expr Target { get; } = target;

        public string TestName { get; } = name;

        public CallArgs Args { get; } = args;
    }

    /// <summary>Unary <c>not</c>, <c>-</c> or <c>+</c> (Op is '!', '-' or '+').</summary>
    public sealed class Unary(char op, Expr operand, int line, int column) : Expr(line, column)
    {
        public char Op { get; } = op;

        public Expr Operand { get; } = operand;
    }

    public sealed class Binary(BinaryOp op, Expr left, Expr right, int line, int column) : Expr(line, column)
    {
        public BinaryOp Op { get; } = op;

        public Expr Left { get; } = left;

        public Expr Right { get; } = right;
    }

    /// <summary><c>a ~ b ~ c</c>: string conversion and concatenation.</summary>
    public sealed class Concat(List<Expr> parts, int line, int column) : Expr(line, column)
    {
        public List<Expr> Parts { get; } = parts;
    }

    public sealed class Compare(Expr first, List<CompareOp> ops, List<Expr> operands, int line, int column) : Expr(line, column)
    {
        public Expr First { get; } = first;

        public List<CompareOp> Ops { get; } = ops;

        public List<Expr> Operands { get; } = operands;
    }

    /// <summary><c>and</c> (IsAnd) or <c>or</c>: short-circuit, yielding an operand like Python.</summary>
    public sealed class Logical(bool isAnd, Expr left, Expr right, int line, int column) : Expr(line, column)
    {
        public bool IsAnd { get; } = isAnd;

        public Expr Left { get; } = left;

        public Expr Right { get; } = right;
    }

    /// <summary><c>then if test else otherwise</c>; a missing else yields undefined.</summary>
    public sealed class Conditional(Expr condition, Expr then, Expr? otherwise, int line, int column) : Expr(line, column)
    {
        public Expr Condition { get; } = condition;

        public Expr Then { get; } = then;

        public Expr? Otherwise { get; } = otherwise;
    }
}
