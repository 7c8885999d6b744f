namespace CyLlm.ChatTemplates.Jinja;

/// <summary>
/// A variable frame; lookups fall back to <see cref="Parent"/>. Jinja gives each for-loop iteration, macro call
/// and with-block its own frame, so plain <c>set</c> inside them never leaks out.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, object?>? _vars;

    public Scope? Parent { get; } = parent;

    public bool TryGetLocal(string name, out object? value)
    {
        if (_vars is not null && _vars.TryGetValue(name, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => (_vars ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = value;

    /// <summary>Forgets the frame's variables (a new loop iteration reuses the frame without allocating).</summary>
    public void Clear() => _vars?.Clear();
}
