namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// Configuration section "Gateway:RateLimits": global per-key and per-tenant limits, overrides by tenant id and by
/// key id (or key prefix), and where the counters live. All zero (the default) = no rate limiting.
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>Limits of each API key.</summary>
    public RateLimitRule PerKey { get; init; } = new();

    /// <summary>Limits of each tenant (all its keys together; auth off = the "default" tenant).</summary>
    public RateLimitRule PerTenant { get; init; } = new();

    /// <summary>Per-tenant overrides of <see cref="PerTenant"/>, by tenant id.</summary>
    public Dictionary<string, RateLimitRule> Tenants { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Per-key overrides of <see cref="PerKey"/>, by key id or key prefix (e.g. "sk-cy-AbCdEf12").</summary>
    public Dictionary<string, RateLimitRule> Keys { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The Redis server shared by all replicas (--redis): HOST:PORT, a StackExchange.Redis configuration string
    /// or a redis:// / rediss:// URL (<see cref="RedisAddress"/>); null = in-process counters. Holds a password: log
    /// only <see cref="RedisAddress.Redacted"/>.</summary>
    public string? Redis { get; init; }

    /// <summary>When Redis cannot be reached: true admits the request (logged, counted in
    /// cyllm_ratelimit_store_errors_total); false refuses it with 503.</summary>
    public bool FailOpen { get; init; } = true;

    /// <summary>The sliding window (fixed at one minute for the "per minute" limits; tests may shorten it).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>True when any limit is set.</summary>
    public bool Enabled =>
        Set(PerKey) || Set(PerTenant) || Tenants.Values.Any(Set) || Keys.Values.Any(Set);

    private static bool Set(RateLimitRule r) => r.RequestsPerMinute > 0 || r.TokensPerMinute > 0;

    /// <summary>Adds a problem per invalid value, naming the setting.</summary>
    public void Validate(List<string> errors)
    {
        Check(errors, "Gateway:RateLimits:PerKey", PerKey);
        Check(errors, "Gateway:RateLimits:PerTenant", PerTenant);
        foreach (var (id, r) in Tenants)
        {
            Check(errors, $"Gateway:RateLimits:Tenants:{id}", r);
        }

        foreach (var (id, r) in Keys)
        {
            Check(errors, $"Gateway:RateLimits:Keys:{id}", r);
        }

        if (Window < TimeSpan.FromMilliseconds(10))
        {
            errors.Add($"Gateway:RateLimits:Window must be at least 10 ms (got {Window})");
        }

        if (Redis is { } redis)
        {
            try
            {
                _ = RedisAddress.Parse(redis);
            }
            catch (FormatException e)
            {
                // The message shows the value redacted: the password never reaches the console or the logs.
                errors.Add($"Gateway:RateLimits:Redis (--redis) must be HOST:PORT, a StackExchange.Redis configuration string (host:6380,password=…,ssl=true) or a redis:// or rediss:// URL ({e.Message})");
            }
        }
    }

    private static void Check(List<string> errors, string name, RateLimitRule r)
    {
        if (r.RequestsPerMinute < 0)
        {
            errors.Add($"{name}:RequestsPerMinute must be 0 (unlimited) or positive (got {r.RequestsPerMinute})");
        }

        if (r.TokensPerMinute < 0)
        {
            errors.Add($"{name}:TokensPerMinute must be 0 (unlimited) or positive (got {r.TokensPerMinute})");
        }
    }
}
