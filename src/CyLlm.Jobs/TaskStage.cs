namespace CyLlm.Jobs;

/// <summary>
/// The fine-grained, kind-specific step of a task. Each kind uses a subset (see <see cref="TaskStateMachine.StagesOf"/>).
/// The numeric values are persisted (tasks.stage, task_events.*_stage) and frozen: 1x = generic/fine-tuning, 2x = batch.
/// </summary>
public enum TaskStage
{
    /// <summary>Fine-tuning only: the training and validation files are being checked.</summary>
    ValidatingFiles = 10,
    Queued = 11,
    Running = 12,
    Succeeded = 13,

    /// <summary>Terminal failure; used by every kind.</summary>
    Failed = 14,

    /// <summary>Terminal cancellation; used by every kind.</summary>
    Cancelled = 15,

    /// <summary>Batch only: the input file is being validated.</summary>
    Validating = 20,
    InProgress = 21,
    Finalizing = 22,
    Completed = 23,

    /// <summary>Batch only: the completion window passed before every line was answered (status Failed, with an error).</summary>
    Expired = 24,

    /// <summary>Batch only: cancellation was requested; in-flight lines finish, then the batch moves to Cancelled.</summary>
    Cancelling = 25,
}
