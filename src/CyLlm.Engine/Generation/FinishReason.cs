namespace CyLlm.Engine.Generation;

/// <summary>Why generation ended; the names are the OpenAI API's.</summary>
public enum FinishReason
{
    /// <summary>An end-of-generation token, a stop token id or a stop string.</summary>
    Stop = 0,

    /// <summary>max_tokens or the context length was reached.</summary>
    Length = 1,

    /// <summary>The caller cancelled.</summary>
    Cancelled = 2,
}
