namespace CyLlm.Jobs;

/// <summary>
/// One task as stored. Build and change it only through <see cref="TaskStateMachine"/>; the store re-validates every
/// write with <see cref="TaskConsistencyChecker"/> so a hand-made illegal record can never be persisted.
/// </summary>
/// <param name="Progress">Percent done, 0–100; exactly 100 once succeeded.</param>
/// <param name="Error">Set exactly when <paramref name="Status"/> is <see cref="TaskStatus.Failed"/>.</param>
/// <param name="StartedAt">First time the task reached status Running; null while never started.</param>
/// <param name="FinishedAt">Time the task reached a terminal status; null before.</param>
/// <param name="Version">Compare-and-set version, 1 on creation, incremented by the store on every update.</param>
/// <param name="Input">Kind-specific request (JSON text), e.g. a batch's input file id and endpoint.</param>
/// <param name="Result">Kind-specific outcome (JSON text), e.g. a batch's output file id and request counts.</param>
public sealed record TaskRecord(
    TaskId Id,
    string TenantId,
    TaskKind Kind,
    TaskStage Stage,
    TaskStatus Status,
    int Progress,
    TaskError? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long Version,
    string? Input,
    string? Result)
{
    /// <summary>True once the task can never change again (succeeded, failed or cancelled).</summary>
    public bool IsTerminal => TaskStateMachine.IsTerminal(Status);
}
