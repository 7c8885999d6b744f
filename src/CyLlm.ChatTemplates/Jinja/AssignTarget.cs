namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// Left side of <c>set</c>/<c>for</c>: one name, several names to unpack (<see cref="IsTuple"/>), or a
/// namespace attribute <c>ns.attr</c> (<see cref="Attribute"/> set, <see cref="Names"/> holding the namespace).
/// </summary>
internal sealed class AssignTarget(List<string> names, bool isTuple, string? attribute)
{
    public List<string> Names { get; } = names;

    public bool IsTuple { get; } = isTuple;

    public string? Attribute { get; } = attribute;
}
