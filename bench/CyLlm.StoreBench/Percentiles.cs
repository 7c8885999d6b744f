namespace CyLlm.StoreBench;

/// <summary>Latency summary in milliseconds (nearest rank).</summary>
public sealed record Percentiles(int Count, double P50, double P90, double P99, double P999, double Max)
{
    public static Percentiles Of(List<double> ms)
    {
        ms.Sort();
        double At(double q) => ms.Count == 0 ? 0 : ms[Math.Min(ms.Count - 1, Math.Max(0, (int)Math.Ceiling(q * ms.Count) - 1))];
        return new Percentiles(ms.Count, Math.Round(At(0.5), 3), Math.Round(At(0.9), 3), Math.Round(At(0.99), 3), Math.Round(At(0.999), 3), Math.Round(ms.Count == 0 ? 0 : ms[^1], 3));
    }
}
