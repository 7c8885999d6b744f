namespace CyLlm.Jobs;

/// <summary>What a task does. The numeric values are persisted (tasks.kind) and frozen: never renumber, only append.</summary>
public enum TaskKind
{
    /// <summary>A fine-tuning job (OpenAI <c>fine_tuning.job</c>); ids start with <c>ftjob-</c>.</summary>
    FineTuning = 1,

    /// <summary>A batch of API requests (OpenAI <c>batch</c>); ids start with <c>batch_</c>.</summary>
    Batch = 2,

    /// <summary>A model or KV transfer between nodes; ids start with <c>xfer-</c>.</summary>
    Transfer = 3,

    /// <summary>An export of a model or adapter to a file; ids start with <c>export-</c>.</summary>
    Export = 4,

    /// <summary>A model download from the Hugging Face Hub (<c>cyllm pull</c>); ids start with <c>pull-</c>.</summary>
    ModelPull = 5,
}
