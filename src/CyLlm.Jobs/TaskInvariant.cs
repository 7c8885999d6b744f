namespace CyLlm.Jobs;

/// <summary>The rules a task (or a change to one) must satisfy; the name of the rule a violation broke.</summary>
public enum TaskInvariant
{
    /// <summary>The stage is not one of the kind's stages.</summary>
    StageNotInKind,

    /// <summary>The stored status differs from the status the kind's stage means.</summary>
    StatusStageMismatch,

    /// <summary>Progress outside 0..100.</summary>
    ProgressOutOfRange,

    /// <summary>Succeeded (completed) with progress below 100.</summary>
    SucceededWithoutFullProgress,

    /// <summary>Failed without an error.</summary>
    FailedWithoutError,

    /// <summary>An error on a task that has not failed.</summary>
    ErrorWithoutFailure,

    /// <summary>Queued with progress above 0 or a start time.</summary>
    QueuedButStarted,

    /// <summary>Running or succeeded without a start time.</summary>
    StartedWithoutStartTime,

    /// <summary>Terminal without a finish time, or a finish time on a live task.</summary>
    FinishTimeMismatch,

    /// <summary>created ≤ started ≤ finished ≤ updated does not hold.</summary>
    TimestampsOutOfOrder,

    /// <summary>Version below 1.</summary>
    VersionNotPositive,

    /// <summary>The id's prefix names another kind, or the tenant is empty.</summary>
    IdentityMismatch,

    /// <summary>A change to id, tenant, kind or creation time.</summary>
    IdentityChanged,

    /// <summary>A change to a terminal task.</summary>
    TerminalMoved,

    /// <summary>A stage change the kind's table does not allow.</summary>
    IllegalStageChange,

    /// <summary>Progress changed while the task was not running.</summary>
    ProgressWhileNotRunning,

    /// <summary>A start time that changed once set.</summary>
    StartTimeChanged,

    /// <summary>History: an event after a terminal event, a version that does not increase, or a move the table forbids.</summary>
    HistoryInconsistent,
}
