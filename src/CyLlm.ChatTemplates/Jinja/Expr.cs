namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Expression nodes; the cases are nested so the node family reads as one unit.</summary>
internal abstract record Expr(int Line)
{
    public sealed record Literal(object? Value, int Line) : Expr(Line);

    public sealed record Var(string Id, int Line) : Expr(Line);

    public sealed record ListLit(List<Expr> Items, int Line) : Expr(Line);

    public sealed record DictLit(List<(Expr Key, Expr Value)> Items, int Line) : Expr(Line);

    public sealed record Attr(Expr Target, string Name, int Line) : Expr(Line);

    public sealed record Index(Expr Target, Expr Key, int Line) : Expr(Line);

    public sealed record Slice(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

    public sealed record Call(Expr Target, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);

    public sealed record Filter(Expr Target, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);

    public sealed record Test(Expr Target, string Name, List<Expr> Args, bool Negated, int Line) : Expr(Line);

    public sealed record Unary(string Op, Expr Operand, int Line) : Expr(Line);

    public sealed record Binary(string Op, Expr Left, Expr Right, int Line) : Expr(Line);

    public sealed record Conditional(Expr Cond, Expr Then, Expr? Else, int Line) : Expr(Line);
}
