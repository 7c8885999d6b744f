namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A Python tuple: a list that prints as (a, b) and never equals a list.</summary>
internal sealed class TupleValue : List<object?>
{
    public TupleValue()
    {
    }

    public TupleValue(IEnumerable<object?> items)
        : base(items)
    {
    }

    public TupleValue(int capacity)
        : base(capacity)
    {
    }
}
