namespace CyLlm.Models;

/// <summary>A model or tokenizer file that cannot be used; the message is one line fit for a user.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
