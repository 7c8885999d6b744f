namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A method looked up without being called at once (<c>{% set f = s.upper %}</c>); calls dispatch by name.</summary>
internal sealed class BoundMethod(object target, string name) : Callable(name)
{
    public object Target { get; } = target;

    public override object? Invoke(Interpreter interpreter, Arguments args) => interpreter.CallMethod(Target, Name, args);
}
