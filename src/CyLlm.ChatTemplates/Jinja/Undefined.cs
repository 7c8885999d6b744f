namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Jinja's default Undefined: falsy, renders as empty, fails only when called or iterated deeply.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();

    private Undefined()
    {
    }

    public override string ToString() => "";
}
