namespace CyLlm.Gateway.RateLimits;

/// <summary>The outcome of one atomic check-and-update over several buckets: all admitted or none.</summary>
/// <param name="States">One per requested bucket, same order.</param>
public sealed record RateLimitDecision(bool Admitted, RateLimitBucketState[] States);
