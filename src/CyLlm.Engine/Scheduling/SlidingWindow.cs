namespace CyLlm.Engine.Scheduling;

/// <summary>The last N samples of a latency, for p50/p95/p99. Thread-safe.</summary>
public sealed class SlidingWindow(int capacity)
{
    private readonly double[] _values = new double[capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public void Add(double v)
    {
        lock (_lock)
        {
            _values[_next] = v;
            _next = (_next + 1) % _values.Length;
            _count = Math.Min(_count + 1, _values.Length);
        }
    }

    /// <summary>The <paramref name="q"/>-quantile (0..1) of the window, or 0 when empty.</summary>
    public double Percentile(double q)
    {
        double[] copy;
        lock (_lock)
        {
            copy = _values[.._count];
        }

        if (copy.Length == 0)
        {
            return 0;
        }

        Array.Sort(copy);
        return copy[Math.Clamp((int)Math.Ceiling(q * copy.Length) - 1, 0, copy.Length - 1)];
    }
}
