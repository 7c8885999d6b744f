namespace CyLlm.Jobs.Batches;

/// <summary>
/// Runs one batch request (the gateway routes it to its own endpoint handler). Called at most once per line per worker
/// run; a line whose answer was recorded is never passed again, but a line in flight when a worker died may be (its
/// answer was never recorded), so executors should not have side effects beyond producing the answer. Up to
/// <see cref="BatchRunnerOptions.MaxConcurrentLines"/> calls run at once, so an executor must be thread-safe.
/// </summary>
public interface IBatchLineExecutor
{
    /// <summary>The response for <paramref name="line"/>. Throwing records the line as failed (code <c>executor_error</c>).</summary>
    Task<BatchLineResponse> ExecuteAsync(BatchRequestLine line, CancellationToken ct);
}
