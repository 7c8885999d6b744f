namespace CyLlm.Jobs.Caching;

/// <summary>Response cache limits.</summary>
public sealed record ResponseCacheOptions
{
    /// <summary>How long an entry is served (default 1 hour).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Total bytes of cached values per database; oldest entries are evicted past it (default 64 MiB).</summary>
    public long MaxTotalBytes { get; init; } = 64L << 20;

    /// <summary>Responses larger than this are not cached (default 1 MiB).</summary>
    public long MaxEntryBytes { get; init; } = 1L << 20;
}
