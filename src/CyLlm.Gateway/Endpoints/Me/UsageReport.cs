namespace CyLlm.Gateway.Endpoints.Me;

/// <summary>GET /v1/me/usage: the presented key's requests and tokens over time, from the audit log, in buckets of
/// <paramref name="BucketSeconds"/> from <paramref name="Since"/> (Unix seconds) on; only buckets with traffic are listed.</summary>
public sealed record UsageReport(string Object, string? KeyPrefix, long Since, long BucketSeconds, IReadOnlyList<UsageBucket> Data);
