namespace CyLlm.Jobs.Storage;

/// <summary>Rows removed by <see cref="IJobStore.PurgeExpiredAsync"/>.</summary>
public sealed record PurgeReport(long IdempotencyKeys, long CacheEntries, long Leases);
