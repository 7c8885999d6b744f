namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Template statement nodes. Positions are 1-based.</summary>
internal abstract class Stmt(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public sealed class Text(string value, int line, int column) : Stmt(line, column)
    {
        public string Value { get; } = value;
    }

    public sealed class Output(Expr value, int line, int column) : Stmt(line, column)
    {
        public Expr Value { get; } = value;
    }

    /// <summary>if/elif branches in order (conditions parallel to bodies), then the optional else.</summary>
    public sealed class If(List<Expr> conditions, List<List<Stmt>> bodies, List<Stmt>? otherwise, int line, int column) : Stmt(line, column)
    {
        public List<Expr> Conditions { get; } = conditions;

        public List<List<Stmt>> Bodies { get; } = bodies;

        public List<Stmt>? Otherwise { get; } = otherwise;
    }

    public sealed class For(AssignTarget target, Expr iterable, Expr? filter, List<Stmt> body, List<Stmt>? otherwise, int line, int column) : Stmt(line, column)
    {
        public AssignTarget Target { get; } = target;

        public Expr Iterable { get; } = iterable;

        public Expr? Filter { get; } = filter;

        public List<Stmt> Body { get; } = body;

        public List<Stmt>? Otherwise { get; } = otherwise;
    }

    public sealed class Set(AssignTarget target, Expr value, int line, int column) : Stmt(line, column)
    {
        public AssignTarget Target { get; } = target;

        public Expr Value { get; } = value;
    }

    /// <summary><c>{% set x | filters %}body{% endset %}</c>: the rendered body, filtered, is assigned.</summary>
    public sealed class SetBlock(AssignTarget target, Expr.Filter? filter, List<Stmt> body, int line, int column) : Stmt(line, column)
    {
        public AssignTarget Target { get; } = target;

        public Expr.Filter? Filter { get; } = filter;

        public List<Stmt> Body { get; } = body;
    }

    /// <summary>A macro; defaults are parallel to parameters (null where there is none).</summary>
    public sealed class Macro(string name, List<string> parameters, List<Expr?> defaults, List<Stmt> body, int line, int column) : Stmt(line, column)
    {
        public string Name { get; } = name;

        public List<string> Parameters { get; } = parameters;

        public List<Expr?> Defaults { get; } = defaults;

        public List<Stmt> Body { get; } = body;
    }

    public sealed class With(List<AssignTarget> targets, List<Expr> values, List<Stmt> body, int line, int column) : Stmt(line, column)
    {
        public List<AssignTarget> Targets { get; } = targets;

        public List<Expr> Values { get; } = values;

        public List<Stmt> Body { get; } = body;
    }

    /// <summary><c>{% filter f %}body{% endfilter %}</c>.</summary>
    public sealed class FilterBlock(Expr.Filter filter, List<Stmt> body, int line, int column) : Stmt(line, column)
    {
        public Expr.Filter Filter { get; } = filter;

        public List<Stmt> Body { get; } = body;
    }

    /// <summary>Hugging Face's <c>{% generation %}</c> marker: renders its body unchanged.</summary>
    public sealed class Block(List<Stmt> body, int line, int column) : Stmt(line, column)
    {
        public List<Stmt> Body { get; } = body;
    }

    /// <summary><c>{% break %}</c> (IsBreak) or <c>{% continue %}</c> (loopcontrols extension).</summary>
    public sealed class LoopControl(bool isBreak, int line, int column) : Stmt(line, column)
    {
        public bool IsBreak { get; } = isBreak;
    }
}
