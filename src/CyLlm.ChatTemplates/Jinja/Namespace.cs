namespace CyLlm.ChatTemplates.Jinja;

/// <summary>The mutable object of <c>namespace(...)</c>, the only way to carry state out of a loop body.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Values { get; } = new(StringComparer.Ordinal);
}
