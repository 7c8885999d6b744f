namespace CyLlm.Jobs.Storage;

/// <summary>Leases, checkpoints and batch line results: what a worker writes while it owns a task.</summary>
public partial interface IJobStore
{
    /// <summary>
    /// Claims <paramref name="taskId"/> for <paramref name="owner"/> for <paramref name="duration"/>. Succeeds when nobody holds
    /// it, when the current lease has expired (it is stolen: epoch + 1), or when <paramref name="owner"/> already holds it
    /// (extended, same epoch). Returns null while another owner's lease is live. Throws <see cref="TaskNotFoundException"/>.
    /// </summary>
    Task<Lease?> TryAcquireLeaseAsync(TaskId taskId, string owner, TimeSpan duration, CancellationToken ct = default);

    /// <summary>Extends a live lease to now + <paramref name="duration"/>; throws <see cref="LeaseLostException"/> if it expired or changed hands.</summary>
    Task<Lease> HeartbeatAsync(Lease lease, TimeSpan duration, CancellationToken ct = default);

    /// <summary>Gives a lease up; false when it was no longer held by this owner and epoch.</summary>
    Task<bool> ReleaseLeaseAsync(Lease lease, CancellationToken ct = default);

    /// <summary>The current lease row of a task (live or expired), or null.</summary>
    Task<Lease?> GetLeaseAsync(TaskId taskId, CancellationToken ct = default);

    /// <summary>
    /// Records a checkpoint. Returns true when inserted, false when the identical checkpoint already exists (a retried
    /// write); throws <see cref="CheckpointConflictException"/> when the step exists with other evidence, and
    /// <see cref="LeaseLostException"/> when <paramref name="fence"/> no longer holds the task.
    /// </summary>
    Task<bool> AddCheckpointAsync(CheckpointRecord checkpoint, Lease? fence = null, CancellationToken ct = default);

    /// <summary>The checkpoint with the highest step, or null.</summary>
    Task<CheckpointRecord?> GetLatestCheckpointAsync(TaskId taskId, CancellationToken ct = default);

    /// <summary>A task's checkpoints by step.</summary>
    Task<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(TaskId taskId, CancellationToken ct = default);

    /// <summary>
    /// Records the answer to one batch line: true when inserted, false when the line already had one (the first answer
    /// is kept). Throws <see cref="LeaseLostException"/> when <paramref name="fence"/> no longer holds the batch.
    /// </summary>
    Task<bool> RecordBatchResultAsync(BatchLineResult result, Lease? fence = null, CancellationToken ct = default);

    /// <summary>A batch's answered lines by line index.</summary>
    Task<IReadOnlyList<BatchLineResult>> ListBatchResultsAsync(TaskId batchId, CancellationToken ct = default);
}
