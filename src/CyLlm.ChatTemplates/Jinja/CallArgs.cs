namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Arguments of a call, filter or test: positional, keyword (names parallel to values), *args, **kwargs.</summary>
internal sealed class CallArgs(List<Expr> positional, List<string> names, List<Expr> values, Expr? star, Expr? doubleStar)
{
    public static readonly CallArgs None = new([], [], [], null, null);

    public List<Expr> Positional { get; } = positional;

    public List<string> Names { get; } = names;

    public List<Expr> Values { get; } = values;

    public Expr? Star { get; } = star;

    public Expr? DoubleStar { get; } = doubleStar;

    public bool IsEmpty => Positional.Count == 0 && Names.Count == 0 && Star is null && DoubleStar is null;
}
