namespace CyLlm.Training.FineTuning;

/// <summary>
/// The job's kind-specific result, stored in the task's Result and updated with progress: the latest metrics, the
/// estimate of the finish, and once succeeded the served model name. Read by the fine-tuning API.
/// </summary>
public sealed record FineTuneJobState
{
    public FineTuneProgress? Latest { get; init; }

    /// <summary>Unix seconds when the job should finish, from the ETA of the latest progress.</summary>
    public long? EstimatedFinish { get; init; }

    public string? FineTunedModel { get; init; }

    public string? ModelPath { get; init; }

    /// <summary>True when <see cref="ModelPath"/> is a LoRA adapter over the base model (false: a full model file).</summary>
    public bool IsAdapter { get; init; }

    public long TrainedTokens { get; init; }

    public string? StopReason { get; init; }

    /// <summary>The validation summary line of the job's files.</summary>
    public string? Validation { get; init; }
}
