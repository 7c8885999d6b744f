namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// A bucket after an admission attempt. <paramref name="Used"/> is the window's total after the attempt (the cost
/// included only when admitted); <paramref name="Reset"/> the time until the window is empty again (every entry
/// expired); <paramref name="RetryAfter"/> the time until this bucket could take the requested cost (zero when it
/// can now, <see cref="TimeSpan.MaxValue"/> when the cost exceeds the limit itself).
/// </summary>
public readonly record struct RateLimitBucketState(long Limit, long Used, TimeSpan Reset, TimeSpan RetryAfter)
{
    public long Remaining => Limit <= 0 ? long.MaxValue : Math.Max(0, Limit - Used);

    /// <summary>This bucket refused the admission.</summary>
    public bool Exceeded => RetryAfter > TimeSpan.Zero;
}
