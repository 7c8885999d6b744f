namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Arithmetic operators (Python semantics).</summary>
internal enum BinaryOp
{
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}
