namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>A clock that only moves when told to (timers still run on real time). Starts at 2026-01-01T00:00:00Z.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long utcTicks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "time only moves forward");
        }

        Interlocked.Add(ref utcTicks, by.Ticks);
    }
}
