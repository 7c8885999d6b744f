namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Template statement nodes.</summary>
internal abstract record Stmt(int Line)
{
    public sealed record Text(string Value, int Line) : Stmt(Line);

    public sealed record Output(Expr Value, int Line) : Stmt(Line);

    public sealed record If(List<(Expr Cond, List<Stmt> Body)> Branches, List<Stmt>? Else, int Line) : Stmt(Line);

    public sealed record For(List<string> Targets, Expr Iterable, Expr? Filter, List<Stmt> Body, List<Stmt>? Else, int Line) : Stmt(Line);

    /// <summary>set a = expr, or set ns.attr = expr (Target null for plain names).</summary>
    public sealed record Set(string Name, string? Attribute, Expr Value, int Line) : Stmt(Line);

    public sealed record SetBlock(string Name, List<Stmt> Body, int Line) : Stmt(Line);

    public sealed record Macro(string Name, List<(string Name, Expr? Default)> Params, List<Stmt> Body, int Line) : Stmt(Line);
}
