namespace CyLlm.Training.FineTuning;

/// <summary>A job waiting for a worker, as the queue policy sees it.</summary>
public readonly record struct QueuedJob(string JobId, int Priority, DateTimeOffset CreatedAt);
