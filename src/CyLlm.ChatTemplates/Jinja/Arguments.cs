namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Evaluated call arguments: positional values and keyword values (null when there are none).</summary>
internal readonly struct Arguments(List<object?> positional, Dictionary<string, object?>? named)
{
    private static readonly List<object?> NoValues = [];

    public static Arguments Empty => new(NoValues, null);

    public List<object?> Positional { get; } = positional;

    public Dictionary<string, object?>? Named { get; } = named;

    public int Count => Positional.Count;

    public object? this[int index] => Positional[index];

    public bool TryGet(int index, string name, out object? value)
    {
        if (index >= 0 && index < Positional.Count)
        {
            value = Positional[index];
            return true;
        }

        if (Named is not null && Named.TryGetValue(name, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>The argument at <paramref name="index"/>, else the keyword <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback) => TryGet(index, name, out var v) ? v : fallback;

    /// <summary>Rejects more than <paramref name="max"/> positional arguments or unknown keywords.</summary>
    public void Check(string function, int max, params string[] keywords)
    {
        if (Positional.Count > max)
        {
            throw new TemplateError($"{function}() takes at most {max} argument(s) ({Positional.Count} given)");
        }

        if (Named is null)
        {
            return;
        }

        foreach (var key in Named.Keys)
        {
            if (Array.IndexOf(keywords, key) < 0)
            {
                throw new TemplateError($"{function}() got an unexpected keyword argument '{key}'");
            }
        }
    }
}
