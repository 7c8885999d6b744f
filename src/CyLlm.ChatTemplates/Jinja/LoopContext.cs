namespace CyLlm.ChatTemplates.Jinja;

/// <summary>The <c>loop</c> variable of a for loop over <see cref="Items"/>; <see cref="Index0"/> advances per iteration.</summary>
internal sealed class LoopContext(List<object?> items)
{
    private static readonly object NoValue = new();
    private object? _lastChanged = NoValue;

    public List<object?> Items { get; } = items;

    public int Index0 { get; set; }

    public int Length => Items.Count;

    public object? GetAttribute(string name) => name switch
    {
        "index0" => (object)(long)Index0,
        "index" => (long)Index0 + 1,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < Length ? Items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" or "changed" => new BoundMethod(this, name),
        _ => new Undefined($"'LoopContext' object has no attribute '{name}'"),
    };

    /// <summary>loop.cycle(a, b, ...): the argument at the current index modulo the count.</summary>
    public object? Cycle(Arguments args)
    {
        if (args.Count == 0)
        {
            throw new TemplateError("no items for cycling given");
        }

        return args[Index0 % args.Count];
    }

    /// <summary>loop.changed(value): true when the value differs from the last call's.</summary>
    public bool Changed(object? value, Func<object?, object?, bool> equal)
    {
        if (_lastChanged != NoValue && equal(_lastChanged, value))
        {
            return false;
        }

        _lastChanged = value;
        return true;
    }
}
