namespace CyLlm.Jobs.Storage;

/// <summary>Idempotency-key counts for diagnostics.</summary>
public sealed record IdempotencyStats(long Total, long InProgress, long Completed, long Expired);
