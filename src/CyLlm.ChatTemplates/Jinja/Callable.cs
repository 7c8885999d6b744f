namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A function value: a built-in, a bound string/dict method, or a macro.</summary>
internal sealed record Callable(string Name, Func<List<object?>, Dictionary<string, object?>, object?> Invoke);
