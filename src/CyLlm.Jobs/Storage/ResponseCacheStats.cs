namespace CyLlm.Jobs.Storage;

/// <summary>Size of the response cache: live and expired-but-not-purged entries, total bytes of values.</summary>
public sealed record ResponseCacheStats(long Entries, long ExpiredEntries, long TotalBytes);
