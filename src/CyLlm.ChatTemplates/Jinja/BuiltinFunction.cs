namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A global function such as <c>range</c> or <c>raise_exception</c>.</summary>
internal sealed class BuiltinFunction(string name, Func<Interpreter, Arguments, object?> body) : Callable(name)
{
    public override object? Invoke(Interpreter interpreter, Arguments args) => body(interpreter, args);
}
