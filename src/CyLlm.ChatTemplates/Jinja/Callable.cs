namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A value that can be called from a template: a global function, a bound method or a macro.</summary>
internal abstract class Callable(string name)
{
    public string Name { get; } = name;

    public abstract object? Invoke(Interpreter interpreter, Arguments args);
}
