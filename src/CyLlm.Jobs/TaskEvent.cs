namespace CyLlm.Jobs;

/// <summary>One row of a task's history (task_events): every create and every accepted update appends one.</summary>
/// <param name="Sequence">Store-wide increasing sequence number (orders events across tasks).</param>
/// <param name="FromStage">Stage before the change; null for the creation event.</param>
/// <param name="Version">The task's version after the change.</param>
/// <param name="Message">Optional note from the writer (e.g. "lease stolen from worker-3", "progress").</param>
public sealed record TaskEvent(
    long Sequence,
    TaskId TaskId,
    DateTimeOffset At,
    TaskStage? FromStage,
    TaskStage ToStage,
    TaskStatus Status,
    int Progress,
    long Version,
    string? Message);
