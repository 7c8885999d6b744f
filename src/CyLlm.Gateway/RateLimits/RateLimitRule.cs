namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// Limits over a sliding one-minute window. In an override, null inherits the global value; 0 means unlimited.
/// </summary>
public sealed record RateLimitRule
{
    /// <summary>Requests admitted per minute (every /v1 request counts 1).</summary>
    public long? RequestsPerMinute { get; init; }

    /// <summary>Tokens per minute: prompt + max completion at admission, corrected to prompt + generated after.</summary>
    public long? TokensPerMinute { get; init; }

    /// <summary>This rule with the unset values taken from <paramref name="fallback"/>.</summary>
    public RateLimitRule Over(RateLimitRule fallback) => new()
    {
        RequestsPerMinute = RequestsPerMinute ?? fallback.RequestsPerMinute,
        TokensPerMinute = TokensPerMinute ?? fallback.TokensPerMinute,
    };
}
