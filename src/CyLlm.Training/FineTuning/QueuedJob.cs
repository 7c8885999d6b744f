namespace CyLlm.Training.FineTuning;

/// <summary>A job waiting for a worker, as the queue policy sees it.</summary>
/// <param name="Sequence">Store-wide order of the job's creation (its first event), which breaks ties between jobs
/// created within one clock tick; 0 when not needed.</param>
public readonly record struct QueuedJob(string JobId, int Priority, DateTimeOffset CreatedAt, long Sequence = 0);
