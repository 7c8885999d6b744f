namespace CyLlm.Jobs;

/// <summary>
/// The single owner of task transitions. Every change to a <see cref="TaskRecord"/> goes through <see cref="MoveTo"/> or
/// <see cref="ReportProgress"/>; both throw <see cref="IllegalTransitionException"/> for anything the per-kind table
/// (TaskStateMachine.Table.cs) or the invariants (<see cref="TaskConsistencyChecker.Validate"/>) forbid, so a caller
/// cannot build an inconsistent record by accident. Status is derived from the stage, never set independently.
/// </summary>
public static partial class TaskStateMachine
{
    /// <summary>True for the statuses a task never leaves.</summary>
    public static bool IsTerminal(TaskStatus status) =>
        status is TaskStatus.Succeeded or TaskStatus.Failed or TaskStatus.Cancelled;

    /// <summary>A new task of the id's kind in its initial stage, progress 0, version 1.</summary>
    public static TaskRecord Create(TaskId id, string tenantId, DateTimeOffset now, string? input = null)
    {
        if (id.IsEmpty)
        {
            throw new ArgumentException("task id is uninitialised", nameof(id));
        }

        if (string.IsNullOrWhiteSpace(tenantId))
        {
            throw new ArgumentException("tenant id must not be empty", nameof(tenantId));
        }

        TaskStage stage = InitialStage(id.Kind);
        return new TaskRecord(id, tenantId, id.Kind, stage, StatusOf(id.Kind, stage), 0, null, now, now, null, null, 1, input, null);
    }

    /// <summary>
    /// Moves a task to another stage of its kind. Entering a Failed-status stage requires <paramref name="error"/>;
    /// any other stage rejects one. Succeeded sets progress 100; the first Running-status stage sets StartedAt; a terminal
    /// stage sets FinishedAt. Timestamps never go backwards: a clock behind the record's UpdatedAt is clamped to it.
    /// </summary>
    /// <param name="result">Kind-specific JSON outcome to store with the move, or null to keep the current one.</param>
    public static TaskRecord MoveTo(TaskRecord task, TaskStage to, DateTimeOffset now, TaskError? error = null, string? result = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.IsTerminal)
        {
            throw new IllegalTransitionException(task.Id, task.Stage, to, TaskInvariant.TerminalMoved,
                $"task {task.Id} is {TaskApiNames.Stage(task.Stage)} (terminal) and cannot move to {TaskApiNames.Stage(to)}");
        }

        if (!HasStage(task.Kind, to))
        {
            throw new IllegalTransitionException(task.Id, task.Stage, to, TaskInvariant.StageNotInKind,
                $"stage {to} does not exist for {task.Kind} tasks");
        }

        if (!CanMove(task.Kind, task.Stage, to))
        {
            throw new IllegalTransitionException(task.Id, task.Stage, to, TaskInvariant.IllegalStageChange,
                $"{task.Kind} task {task.Id} cannot move from {TaskApiNames.Stage(task.Stage)} to {TaskApiNames.Stage(to)}");
        }

        TaskStatus status = StatusOf(task.Kind, to);
        if (status == TaskStatus.Failed && error is null)
        {
            throw new IllegalTransitionException(task.Id, task.Stage, to, TaskInvariant.FailedWithoutError,
                $"task {task.Id} cannot become {TaskApiNames.Stage(to)} without an error");
        }

        if (status != TaskStatus.Failed && error is not null)
        {
            throw new IllegalTransitionException(task.Id, task.Stage, to, TaskInvariant.ErrorWithoutFailure,
                $"task {task.Id} moving to {TaskApiNames.Stage(to)} must not carry an error ({error.Code})");
        }

        DateTimeOffset at = now < task.UpdatedAt ? task.UpdatedAt : now;
        bool terminal = IsTerminal(status);
        var next = task with
        {
            Stage = to,
            Status = status,
            Progress = status == TaskStatus.Succeeded ? 100 : task.Progress,
            Error = error,
            UpdatedAt = at,
            StartedAt = task.StartedAt ?? (status == TaskStatus.Running ? at : null),
            FinishedAt = terminal ? at : null,
            Result = result ?? task.Result,
        };
        ThrowIfInvalid(task, next);
        return next;
    }

    /// <summary>Records progress (0–100) of a running task; rejected in any other status.</summary>
    /// <param name="result">Kind-specific JSON snapshot to store with the progress (e.g. request counts), or null to keep it.</param>
    public static TaskRecord ReportProgress(TaskRecord task, int progress, DateTimeOffset now, string? result = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Status != TaskStatus.Running)
        {
            throw new IllegalTransitionException(task.Id, task.Stage, task.Stage, TaskInvariant.ProgressWhileNotRunning,
                $"task {task.Id} is {TaskApiNames.Stage(task.Stage)}; progress can only be reported while running");
        }

        if (progress is < 0 or > 100)
        {
            throw new IllegalTransitionException(task.Id, task.Stage, task.Stage, TaskInvariant.ProgressOutOfRange,
                $"progress {progress} for task {task.Id} is outside 0..100");
        }

        DateTimeOffset at = now < task.UpdatedAt ? task.UpdatedAt : now;
        var next = task with { Progress = progress, UpdatedAt = at, Result = result ?? task.Result };
        ThrowIfInvalid(task, next);
        return next;
    }

    /// <summary>
    /// Asks a task to stop: batches go to Cancelling (a worker then finishes in-flight lines and moves to Cancelled),
    /// every other kind goes straight to Cancelled.
    /// </summary>
    public static TaskRecord RequestCancel(TaskRecord task, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        TaskStage to = task.Kind == TaskKind.Batch && task.Stage != TaskStage.Cancelling ? TaskStage.Cancelling : TaskStage.Cancelled;
        return MoveTo(task, to, now);
    }

    /// <summary>Moves to the kind's failure stage with <paramref name="error"/>.</summary>
    public static TaskRecord Fail(TaskRecord task, TaskError error, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(error);
        return MoveTo(task, TaskStage.Failed, now, error);
    }

    private static void ThrowIfInvalid(TaskRecord before, TaskRecord after)
    {
        var violations = TaskConsistencyChecker.ValidateTransition(before, after);
        if (violations.Count > 0)
        {
            // Unreachable while the table and the checker agree; kept so a future edit to either fails loudly here.
            throw new IllegalTransitionException(after.Id, before.Stage, after.Stage, violations[0].Invariant, violations[0].Message);
        }
    }
}
