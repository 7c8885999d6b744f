namespace CyLlm.Jobs.Storage;

/// <summary>
/// A compare-and-set update lost: the task's stored version is not the one the caller read. Re-read and retry
/// (<see cref="JobStoreExtensions.UpdateTaskAsync(IJobStore, TaskId, Func{TaskRecord, TaskRecord}, Lease?, string?, int, CancellationToken)"/> does this).
/// </summary>
public sealed class ConcurrencyConflictException : JobStoreException
{
    public ConcurrencyConflictException(TaskId taskId, long expectedVersion, long actualVersion)
        : base($"task {taskId} was changed concurrently: expected version {expectedVersion}, found {actualVersion}")
    {
        TaskId = taskId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    public TaskId TaskId { get; }

    public long ExpectedVersion { get; }

    public long ActualVersion { get; }
}
