namespace CyLlm.Jobs;

/// <summary>One broken rule on one task: which task, which rule, and a one-line explanation.</summary>
public sealed record TaskViolation(TaskId TaskId, TaskInvariant Invariant, string Message)
{
    public override string ToString() => $"{TaskId}: {Invariant}: {Message}";
}
