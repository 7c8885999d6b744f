namespace CyLlm.Jobs;

/// <summary>
/// A change a task may not make: a stage move the kind's table forbids, a move out of a terminal stage, a failure without
/// an error, progress while not running, or any other invariant the result would break. Maps to HTTP 409 at the API.
/// </summary>
public sealed class IllegalTransitionException : InvalidOperationException
{
    public IllegalTransitionException(TaskId taskId, TaskStage from, TaskStage to, TaskInvariant rule, string message)
        : base(message)
    {
        TaskId = taskId;
        From = from;
        To = to;
        Rule = rule;
    }

    public TaskId TaskId { get; }

    public TaskStage From { get; }

    public TaskStage To { get; }

    /// <summary>The rule the change would break.</summary>
    public TaskInvariant Rule { get; }
}
