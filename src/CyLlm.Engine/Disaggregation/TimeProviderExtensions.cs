namespace CyLlm.Engine.Disaggregation;

/// <summary>Converts spans to a <see cref="TimeProvider"/>'s timestamp ticks (what the pure state machines take).</summary>
internal static class TimeProviderExtensions
{
    public static long Ticks(this TimeProvider time, TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
