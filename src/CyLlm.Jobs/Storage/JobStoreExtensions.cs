namespace CyLlm.Jobs.Storage;

/// <summary>Read-modify-write helpers over the compare-and-set primitives of <see cref="IJobStore"/>.</summary>
public static class JobStoreExtensions
{
    /// <summary>
    /// Reads the task, applies <paramref name="change"/> (a <see cref="TaskStateMachine"/> call) and writes it with
    /// compare-and-set, re-reading and re-applying on <see cref="ConcurrencyConflictException"/> (up to
    /// <paramref name="maxAttempts"/> times). <paramref name="change"/> may throw <see cref="IllegalTransitionException"/>
    /// to refuse the change for the state it sees.
    /// </summary>
    public static async Task<TaskRecord> UpdateTaskAsync(this IJobStore store, TaskId id, Func<TaskRecord, TaskRecord> change,
        Lease? fence = null, string? message = null, int maxAttempts = 20, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(change);
        for (int attempt = 1; ; attempt++)
        {
            var current = await store.GetTaskAsync(id, ct).ConfigureAwait(false) ?? throw new TaskNotFoundException($"task {id} does not exist");
            var next = change(current);
            try
            {
                return await store.UpdateTaskAsync(next, current.Version, fence, message, ct).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < maxAttempts)
            {
                // Someone else moved the task; re-read and decide again against the new state.
            }
        }
    }
}
