namespace CyLlm.Jobs;

/// <summary>
/// The words each API uses for stages and statuses. Fine-tuning jobs report their stage as OpenAI's <c>status</c>
/// (validating_files, queued, running, succeeded, failed, cancelled); batches report theirs (validating, in_progress,
/// finalizing, completed, failed, expired, cancelling, cancelled); the Tasks API reports both status and stage.
/// </summary>
public static class TaskApiNames
{
    /// <summary>The snake_case name of a stage, identical to the OpenAI status word of the owning API.</summary>
    public static string Stage(TaskStage stage) => stage switch
    {
        TaskStage.ValidatingFiles => "validating_files",
        TaskStage.Queued => "queued",
        TaskStage.Running => "running",
        TaskStage.Succeeded => "succeeded",
        TaskStage.Failed => "failed",
        TaskStage.Cancelled => "cancelled",
        TaskStage.Validating => "validating",
        TaskStage.InProgress => "in_progress",
        TaskStage.Finalizing => "finalizing",
        TaskStage.Completed => "completed",
        TaskStage.Expired => "expired",
        TaskStage.Cancelling => "cancelling",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "unknown stage"),
    };

    /// <summary>The Tasks API word for a status.</summary>
    public static string Status(TaskStatus status) => status switch
    {
        TaskStatus.Queued => "queued",
        TaskStatus.Running => "running",
        TaskStatus.Succeeded => "succeeded",
        TaskStatus.Failed => "failed",
        TaskStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown status"),
    };

    /// <summary>The status word the kind's own OpenAI API shows (fine-tuning and batch: the stage name).</summary>
    public static string OpenAiStatus(TaskRecord task) => task.Kind is TaskKind.FineTuning or TaskKind.Batch
        ? Stage(task.Stage)
        : Status(task.Status);

    /// <summary>Parses a stage word for a kind; throws <see cref="FormatException"/> naming the accepted words.</summary>
    public static TaskStage ParseStage(TaskKind kind, string word)
    {
        foreach (var s in TaskStateMachine.StagesOf(kind))
        {
            if (string.Equals(Stage(s), word, StringComparison.Ordinal))
            {
                return s;
            }
        }

        var names = new List<string>();
        foreach (var s in TaskStateMachine.StagesOf(kind))
        {
            names.Add(Stage(s));
        }

        throw new FormatException($"'{word}' is not a {kind} stage; expected one of {string.Join(", ", names)}");
    }
}
