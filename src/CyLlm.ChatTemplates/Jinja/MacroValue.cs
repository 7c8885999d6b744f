namespace CyLlm.ChatTemplates.Jinja;

/// <summary>A defined macro with the frame it was defined in (its parameters shadow that frame).</summary>
internal sealed class MacroValue(Stmt.Macro definition, Scope closure) : Callable(definition.Name)
{
    public Stmt.Macro Definition { get; } = definition;

    public Scope Closure { get; } = closure;

    public override object? Invoke(Interpreter interpreter, Arguments args) => interpreter.CallMacro(this, args);
}
