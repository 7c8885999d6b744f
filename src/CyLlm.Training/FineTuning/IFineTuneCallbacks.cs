namespace CyLlm.Training.FineTuning;

/// <summary>How an executor reports to the job that runs it. Calls come from the training thread, one at a time.</summary>
public interface IFineTuneCallbacks
{
    /// <summary>A progress report; the worker persists it at its own interval (not every call reaches the store).</summary>
    ValueTask ReportAsync(FineTuneProgress progress, CancellationToken ct);

    /// <summary>A checkpoint was written; the worker records it as evidence that its step is done.</summary>
    ValueTask CheckpointAsync(FineTuneCheckpoint checkpoint, CancellationToken ct);

    /// <summary>A free-text event for the job's event list (e.g. "validated 120 rows, 3 truncated").</summary>
    ValueTask MessageAsync(string message, CancellationToken ct);
}
