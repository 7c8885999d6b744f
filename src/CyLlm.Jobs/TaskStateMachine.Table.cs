namespace CyLlm.Jobs;

/// <summary>The per-kind stage lists, stage→status mapping and the legal stage moves.</summary>
public static partial class TaskStateMachine
{
    // Stages per kind in their natural order (initial first). Layout: TaskKind → stages.
    private static readonly TaskStage[] FineTuningStages =
        [TaskStage.ValidatingFiles, TaskStage.Queued, TaskStage.Running, TaskStage.Succeeded, TaskStage.Failed, TaskStage.Cancelled];

    private static readonly TaskStage[] BatchStages =
    [
        TaskStage.Validating, TaskStage.InProgress, TaskStage.Finalizing, TaskStage.Completed,
        TaskStage.Failed, TaskStage.Expired, TaskStage.Cancelling, TaskStage.Cancelled,
    ];

    private static readonly TaskStage[] GenericStages =
        [TaskStage.Queued, TaskStage.Running, TaskStage.Succeeded, TaskStage.Failed, TaskStage.Cancelled];

    /// <summary>The stages a kind uses, initial stage first.</summary>
    public static IReadOnlyList<TaskStage> StagesOf(TaskKind kind) => kind switch
    {
        TaskKind.FineTuning => FineTuningStages,
        TaskKind.Batch => BatchStages,
        TaskKind.Transfer or TaskKind.Export or TaskKind.ModelPull => GenericStages,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task kind"),
    };

    public static TaskStage InitialStage(TaskKind kind) => StagesOf(kind)[0];

    public static bool HasStage(TaskKind kind, TaskStage stage) => Array.IndexOf((TaskStage[])StagesOf(kind), stage) >= 0;

    /// <summary>The status a stage means for a kind; throws <see cref="ArgumentException"/> for a stage the kind does not use.</summary>
    public static TaskStatus StatusOf(TaskKind kind, TaskStage stage)
    {
        if (!HasStage(kind, stage))
        {
            throw new ArgumentException($"stage {stage} does not exist for {kind} tasks", nameof(stage));
        }

        return stage switch
        {
            TaskStage.ValidatingFiles or TaskStage.Queued or TaskStage.Validating => TaskStatus.Queued,
            TaskStage.Running or TaskStage.InProgress or TaskStage.Finalizing or TaskStage.Cancelling => TaskStatus.Running,
            TaskStage.Succeeded or TaskStage.Completed => TaskStatus.Succeeded,
            TaskStage.Failed or TaskStage.Expired => TaskStatus.Failed,
            TaskStage.Cancelled => TaskStatus.Cancelled,
            _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "unknown stage"),
        };
    }

    /// <summary>The stages a task of <paramref name="kind"/> may move to from <paramref name="from"/> (empty when terminal).</summary>
    public static IReadOnlyList<TaskStage> NextStages(TaskKind kind, TaskStage from)
    {
        if (!HasStage(kind, from))
        {
            return [];
        }

        return (kind, from) switch
        {
            (TaskKind.FineTuning, TaskStage.ValidatingFiles) => [TaskStage.Queued, TaskStage.Failed, TaskStage.Cancelled],
            (TaskKind.FineTuning, TaskStage.Queued) => [TaskStage.Running, TaskStage.Failed, TaskStage.Cancelled],
            (TaskKind.FineTuning, TaskStage.Running) => [TaskStage.Succeeded, TaskStage.Failed, TaskStage.Cancelled],

            // OpenAI batches: a cancel always passes through cancelling (up to 10 minutes there), even from validating.
            (TaskKind.Batch, TaskStage.Validating) => [TaskStage.InProgress, TaskStage.Failed, TaskStage.Cancelling],
            (TaskKind.Batch, TaskStage.InProgress) => [TaskStage.Finalizing, TaskStage.Failed, TaskStage.Expired, TaskStage.Cancelling],
            (TaskKind.Batch, TaskStage.Finalizing) => [TaskStage.Completed, TaskStage.Failed, TaskStage.Expired],
            (TaskKind.Batch, TaskStage.Cancelling) => [TaskStage.Cancelled, TaskStage.Failed],

            (_, TaskStage.Queued) => [TaskStage.Running, TaskStage.Failed, TaskStage.Cancelled],
            (_, TaskStage.Running) => [TaskStage.Succeeded, TaskStage.Failed, TaskStage.Cancelled],
            _ => [],
        };
    }

    public static bool CanMove(TaskKind kind, TaskStage from, TaskStage to)
    {
        var next = NextStages(kind, from);
        for (int i = 0; i < next.Count; i++)
        {
            if (next[i] == to)
            {
                return true;
            }
        }

        return false;
    }
}
