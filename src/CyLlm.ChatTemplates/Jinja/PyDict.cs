namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// A Python dict: keys are strings, numbers (1, 1.0 and True are one key), booleans, None or tuples of those,
/// in insertion order (templates cannot remove keys, so .NET's Dictionary keeps that order).
/// </summary>
internal sealed class PyDict : Dictionary<object, object?>
{
    /// <summary>Stands for the None key (Dictionary keys cannot be null).</summary>
    public static readonly object NoneKey = new();

    public PyDict()
        : base(PyKeyComparer.Instance)
    {
    }

    public PyDict(int capacity)
        : base(capacity, PyKeyComparer.Instance)
    {
    }

    public PyDict(PyDict other)
        : base(other, PyKeyComparer.Instance)
    {
    }

    /// <summary>The key as the template sees it (null for the None key).</summary>
    public static object? KeyOf(object key) => ReferenceEquals(key, NoneKey) ? null : key;

    public bool TryGet(object? key, out object? value) => TryGetValue(key ?? NoneKey, out value);
}
