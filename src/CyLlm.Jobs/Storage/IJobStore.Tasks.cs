namespace CyLlm.Jobs.Storage;

/// <summary>Tasks and their history.</summary>
public partial interface IJobStore
{
    /// <summary>
    /// Inserts a task made by <see cref="TaskStateMachine.Create"/> (initial stage, version 1) and its creation event.
    /// Throws <see cref="DuplicateTaskException"/> if the id exists, <see cref="IllegalTransitionException"/> if the record is not a valid new task.
    /// </summary>
    Task<TaskRecord> CreateTaskAsync(TaskRecord task, CancellationToken ct = default);

    /// <summary>Any tenant's task by id (workers, admin); null when absent. The record is checked by <see cref="Checker"/>.</summary>
    Task<TaskRecord?> GetTaskAsync(TaskId id, CancellationToken ct = default);

    /// <summary>The task only if it belongs to <paramref name="tenantId"/>; another tenant's task reads as absent.</summary>
    Task<TaskRecord?> GetTaskForTenantAsync(string tenantId, TaskId id, CancellationToken ct = default);

    /// <summary>A tenant's tasks, newest first (created_at desc, id desc), optionally of one kind, starting after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<TaskRecord>> ListTasksAsync(string tenantId, TaskKind? kind = null, int limit = 20, TaskId? after = null, CancellationToken ct = default);

    /// <summary>All tasks of all tenants in id order, for scans and sweepers: the page after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<TaskRecord>> ScanTasksAsync(TaskId? after, int limit, CancellationToken ct = default);

    /// <summary>
    /// Compare-and-set update: writes <paramref name="next"/> (made by <see cref="TaskStateMachine"/> from the stored record)
    /// if the stored version is still <paramref name="expectedVersion"/>, increments the version and appends an event.
    /// Throws <see cref="ConcurrencyConflictException"/> on a version mismatch, <see cref="TaskNotFoundException"/>,
    /// <see cref="IllegalTransitionException"/> when the change breaks a rule (including any change to a terminal task),
    /// and <see cref="LeaseLostException"/> when <paramref name="fence"/> is given and no longer holds the task.
    /// </summary>
    /// <returns>The stored record (version = expectedVersion + 1).</returns>
    Task<TaskRecord> UpdateTaskAsync(TaskRecord next, long expectedVersion, Lease? fence = null, string? message = null, CancellationToken ct = default);

    /// <summary>A task's events, oldest first.</summary>
    Task<IReadOnlyList<TaskEvent>> GetTaskHistoryAsync(TaskId id, CancellationToken ct = default);

    /// <summary>The newest <paramref name="limit"/> events of all tasks, newest first.</summary>
    Task<IReadOnlyList<TaskEvent>> GetRecentEventsAsync(int limit, CancellationToken ct = default);

    /// <summary>Live tasks (not terminal) of a kind with no unexpired lease: work a worker may pick up or resume, oldest first.</summary>
    Task<IReadOnlyList<TaskRecord>> ListResumableTasksAsync(TaskKind? kind, int limit, CancellationToken ct = default);
}
