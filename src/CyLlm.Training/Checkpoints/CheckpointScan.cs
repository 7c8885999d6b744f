namespace CyLlm.Training.Checkpoints;

/// <summary>The result of looking for the latest valid checkpoint: it (or null) and every newer one skipped, with why.</summary>
public sealed record CheckpointScan(string? Latest, long LatestStep, IReadOnlyList<string> Skipped);
