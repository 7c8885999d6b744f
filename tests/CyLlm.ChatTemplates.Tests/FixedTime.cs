namespace CyLlm.ChatTemplates.Tests;

/// <summary>A clock stopped at <paramref name="now"/>, in UTC (so its local time equals <paramref name="now"/>).</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
