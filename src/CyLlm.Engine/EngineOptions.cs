namespace CyLlm.Engine;

/// <summary>How an engine instance is sized.</summary>
public sealed record EngineOptions
{
    /// <summary>Worker threads for kernels (the caller included); 0 = one per processor.</summary>
    public int Threads { get; init; }

    /// <summary>Context length in tokens; 0 = the model's own, capped at <see cref="DefaultContextCap"/>.</summary>
    public int ContextTokens { get; init; }

    /// <summary>Largest batch of tokens one forward pass processes (prompt chunks).</summary>
    public int MaxBatch { get; init; } = 256;

    public const int DefaultContextCap = 4096;

    /// <summary>
    /// The chat template to use instead of the model's own (<c>--chat-template</c>): a built-in name (chatml, llama2,
    /// llama3, ...) or Jinja source. Null: the model's own, else the built-in fallback for its architecture.
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Memory the engine may assume is available (0 = ask the runtime); for capacity planning and tests.</summary>
    public long MemoryLimitBytes { get; init; }
}
