namespace CyLlm.Gateway.Observability;

/// <summary>Alert thresholds (section Gateway:Alerts). Each clears at <see cref="ClearFraction"/> of its threshold.</summary>
public sealed record AlertOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>How often the samples are taken.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Queue depth as a fraction of --max-queue (alert "queue_depth").</summary>
    public double QueueDepthRatio { get; init; } = 0.9;

    /// <summary>KV cache blocks in use, fraction (alert "kv_usage").</summary>
    public double KvUsageRatio { get; init; } = 0.95;

    /// <summary>5xx answers / requests over the last minute (alert "error_rate").</summary>
    public double ErrorRate { get; init; } = 0.05;

    /// <summary>Fewer requests than this in the minute make no error-rate sample.</summary>
    public int ErrorRateMinRequests { get; init; } = 20;

    /// <summary>The clear level as a fraction of the fire level (hysteresis), in [0, 1].</summary>
    public double ClearFraction { get; init; } = 0.8;

    public IReadOnlyList<AlertRule> Rules() =>
    [
        new("queue_depth", QueueDepthRatio, QueueDepthRatio * ClearFraction),
        new("kv_usage", KvUsageRatio, KvUsageRatio * ClearFraction),
        new("error_rate", ErrorRate, ErrorRate * ClearFraction),
    ];

    public void Validate(List<string> errors)
    {
        if (Interval <= TimeSpan.Zero)
        {
            errors.Add($"Gateway:Alerts:Interval must be positive (got {Interval})");
        }

        foreach (var (name, v) in new[] { ("QueueDepthRatio", QueueDepthRatio), ("KvUsageRatio", KvUsageRatio), ("ErrorRate", ErrorRate), ("ClearFraction", ClearFraction) })
        {
            if (!(v is > 0 and <= 1))
            {
                errors.Add($"Gateway:Alerts:{name} must be in (0, 1] (got {v})");
            }
        }

        if (ErrorRateMinRequests < 1)
        {
            errors.Add($"Gateway:Alerts:ErrorRateMinRequests must be at least 1 (got {ErrorRateMinRequests})");
        }
    }
}
