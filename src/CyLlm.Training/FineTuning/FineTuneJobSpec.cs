using System.Text.Json.Serialization;

namespace CyLlm.Training.FineTuning;

/// <summary>
/// What a fine-tuning job was asked to do, as stored in the task's Input (JSON, snake_case). The API layer fills it
/// from an OpenAI <c>POST /v1/fine_tuning/jobs</c> body and resolves file ids to paths before the task is created,
/// so a worker on any node can run it from the store alone.
/// </summary>
public sealed record FineTuneJobSpec
{
    /// <summary>The base model id as the client named it (e.g. <c>stories260K</c>).</summary>
    public required string Model { get; init; }

    /// <summary>
    /// The base model's file or folder, resolved by the server from <see cref="Model"/> when the job was created (a
    /// server may serve several base models). Null in jobs stored before that, and where the server has no model file:
    /// the executor's own (default) model is trained then.
    /// </summary>
    public string? BaseModelPath { get; init; }

    public required string TrainingFileId { get; init; }

    /// <summary>Absolute path of the training file's bytes.</summary>
    public required string TrainingFilePath { get; init; }

    public string? ValidationFileId { get; init; }

    public string? ValidationFilePath { get; init; }

    /// <summary>Epochs over the training set; null = chosen by the trainer from the dataset size (OpenAI "auto").</summary>
    public int? NEpochs { get; init; }

    /// <summary>Sequences per optimizer step; null = auto.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Multiplies the method's base learning rate (OpenAI semantics); null = 1.</summary>
    public double? LearningRateMultiplier { get; init; }

    /// <summary><c>lora</c> (default) or <c>full</c>.</summary>
    public string Method { get; init; } = FineTuneMethods.Lora;

    public int LoraRank { get; init; } = 8;

    public double LoraAlpha { get; init; } = 16;

    public double LoraDropout { get; init; }

    /// <summary>Projections that get adapters: q, k, v, o, gate, up, down.</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q", "v"];

    /// <summary>Up to 64 characters [A-Za-z0-9_-] added to the fine-tuned model's name.</summary>
    public string? Suffix { get; init; }

    public int Seed { get; init; }

    /// <summary>Higher runs first; equal priorities run in creation order.</summary>
    public int Priority { get; init; }

    /// <summary>Validation-loss evaluations without improvement before stopping; 0 = no early stopping.</summary>
    public int EarlyStoppingPatience { get; init; }

    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>Optimizer steps between checkpoints; 0 = only at the end.</summary>
    public int CheckpointEvery { get; init; } = 50;

    /// <summary>Up to 16 client key/value pairs (OpenAI <c>metadata</c>), returned as given.</summary>
    public Dictionary<string, string>? Metadata { get; init; }

    /// <summary>The model name a succeeded job registers: <c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job id&gt;</c> (OpenAI's pattern).</summary>
    public string FineTunedModelName(string jobId) => $"ft:{Model}:{Suffix ?? string.Empty}:{jobId}";

    [JsonIgnore]
    public bool IsLora => Method == FineTuneMethods.Lora;
}
