namespace CyLlm.Training.FineTuning;

/// <summary>
/// Runs the training of one job: validate its files, train with checkpoints, export the result. The worker owns
/// the task's state; the executor owns the computation. Cancellation arrives through the token: finish the current
/// step, write a checkpoint, then throw <see cref="OperationCanceledException"/>.
/// </summary>
public interface IFineTuneExecutor
{
    /// <summary>
    /// Checks the job's files against the base model (formats, schemas, token counts). Throws
    /// <see cref="FineTuneDataException"/> with every problem found when they are not usable.
    /// </summary>
    /// <returns>A one-line summary for the job's events (rows, tokens, truncated rows).</returns>
    Task<string> ValidateAsync(FineTuneRun run, CancellationToken ct);

    Task<FineTuneOutcome> RunAsync(FineTuneRun run, IFineTuneCallbacks callbacks, CancellationToken ct);
}
