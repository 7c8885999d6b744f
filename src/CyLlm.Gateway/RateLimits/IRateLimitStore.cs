namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// Sliding-window counters shared by every request of a process (in memory) or of every replica (Redis).
/// Each admission is an entry (time, cost, id) in every bucket it touches; an entry counts until
/// <see cref="Window"/> after its time. Implementations are thread-safe and exact: a window never holds more than
/// its limit.
/// </summary>
public interface IRateLimitStore : IAsyncDisposable
{
    TimeSpan Window { get; }

    /// <summary>
    /// Checks every bucket and, only when each can take its cost, records <paramref name="entryId"/> in all of them
    /// — one atomic step. Throws <see cref="RateLimitStoreException"/> when the store cannot be reached.
    /// </summary>
    ValueTask<RateLimitDecision> AcquireAsync(IReadOnlyList<RateLimitBucket> buckets, string entryId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the cost recorded for <paramref name="entryId"/> in <paramref name="bucketKey"/> (the token estimate
    /// corrected by the actual usage); a no-op once the entry left the window.
    /// </summary>
    ValueTask AdjustAsync(string bucketKey, string entryId, long cost, CancellationToken cancellationToken = default);
}
