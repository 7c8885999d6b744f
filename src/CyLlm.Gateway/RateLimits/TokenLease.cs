namespace CyLlm.Gateway.RateLimits;

/// <summary>Tokens reserved for one generation: the entry and the buckets to correct once the usage is known.</summary>
/// <param name="EntryId">The admission's entry in every bucket.</param>
/// <param name="BucketKeys">The token buckets charged (key and/or tenant).</param>
/// <param name="Estimate">Tokens charged at admission (prompt + max completion).</param>
public sealed record TokenLease(string EntryId, string[] BucketKeys, long Estimate);
