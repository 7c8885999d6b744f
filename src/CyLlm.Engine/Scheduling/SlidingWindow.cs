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
        return Rank(copy, q);
    }

    /// <summary>p50, p95 and p99 of the window (one copy and sort), all 0 when empty.</summary>
    public LatencyPercentiles Percentiles()
    {
        double[] copy;
        lock (_lock)
        {
            copy = _values[.._count];
        }

        if (copy.Length == 0)
        {
            return default;
        }

        Array.Sort(copy);
        return new LatencyPercentiles(copy.Length, Rank(copy, 0.5), Rank(copy, 0.95), Rank(copy, 0.99));
    }

    /// <summary>Forgets every sample.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _next = 0;
            _count = 0;
        }
    }

    /// <summary>Samples currently in the window.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Nearest-rank quantile of sorted values.</summary>
    private static double Rank(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
