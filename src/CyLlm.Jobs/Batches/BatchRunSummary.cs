namespace CyLlm.Jobs.Batches;

/// <summary>What one run did: the outcome, the task afterwards, lines executed now and lines skipped because an earlier run answered them.</summary>
public sealed record BatchRunSummary(BatchRunOutcome Outcome, TaskRecord? Task, int LinesExecuted, int LinesSkipped, BatchRequestCounts Counts);
