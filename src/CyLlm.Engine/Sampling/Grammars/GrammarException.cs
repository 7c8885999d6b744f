namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// A grammar, schema or regex that cannot be compiled or enforced, or a matcher that hit one of its bounds.
/// The message names what is wrong (the rule, the keyword and its JSON path, the regex construct).
/// </summary>
public sealed class GrammarException : Exception
{
    public GrammarException(string message)
        : base(message)
    {
    }
}
