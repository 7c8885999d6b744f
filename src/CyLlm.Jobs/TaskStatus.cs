namespace CyLlm.Jobs;

/// <summary>
/// The coarse life-cycle state shared by every task kind. It is a pure function of the kind and the stage
/// (<see cref="TaskStateMachine.StatusOf"/>); the store persists it (tasks.status) only so that queries can filter on it.
/// The numeric values are persisted and frozen.
/// </summary>
/// <remarks>
/// Inside namespace <c>CyLlm.Jobs</c> this name wins over <see cref="System.Threading.Tasks.TaskStatus"/>; code in other
/// namespaces that imports both should alias it (<c>using TaskStatus = CyLlm.Jobs.TaskStatus;</c>).
/// </remarks>
public enum TaskStatus
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}
