namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// One sliding-window counter touched by an admission: <paramref name="Key"/> names it ("rl:k:{keyId}:req",
/// "rl:t:{tenant}:tok"), <paramref name="Limit"/> is the most it may hold within the window (units: requests or
/// tokens; 0 = unlimited, the bucket is only reported), <paramref name="Cost"/> what this admission adds.
/// </summary>
public readonly record struct RateLimitBucket(string Key, long Limit, long Cost);
