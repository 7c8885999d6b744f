namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// What Jinja's map/select/reject/selectattr/rejectattr/unique/items/batch filters (generators) and reverse
/// (an iterator) return: always truthy, without len() or indexing, not JSON-serializable, and used up by the
/// first iteration. The items are computed eagerly; <see cref="Consume"/> gives them out once.
/// </summary>
internal sealed class GeneratorValue(string typeName, string origin) : List<object?>
{
    private bool _consumed;

    /// <summary>The Python type name ("generator", "list_reverseiterator").</summary>
    public string TypeName { get; } = typeName;

    /// <summary>The function that produced it, for its repr.</summary>
    public string Origin { get; } = origin;

    public List<object?> Consume()
    {
        if (_consumed)
        {
            return [];
        }

        _consumed = true;
        return this;
    }
}
