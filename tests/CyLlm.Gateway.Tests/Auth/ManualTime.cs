namespace CyLlm.Gateway.Tests.Auth;

/// <summary>A clock that moves only when a test calls <see cref="Advance"/> (key expiry, grace, cache TTL).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualTime()
        : this(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by)
    {
        Assert.True(by >= TimeSpan.Zero);
        Interlocked.Add(ref _ticks, by.Ticks);
    }
}
