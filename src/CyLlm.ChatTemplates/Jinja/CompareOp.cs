namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Comparison operators; a chain <c>a &lt; b &lt; c</c> is evaluated pairwise like Python.</summary>
internal enum CompareOp
{
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}
