namespace CyLlm.GatewayBench;

/// <summary>Latency summary in milliseconds.</summary>
public sealed record Percentiles(int Count, double P50, double P90, double P99, double Max)
{
    public static Percentiles Of(List<double> ms)
    {
        ms.Sort();
        double At(double q) => ms.Count == 0 ? 0 : ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        return new Percentiles(ms.Count, Math.Round(At(0.5), 4), Math.Round(At(0.9), 4), Math.Round(At(0.99), 4), Math.Round(ms.Count == 0 ? 0 : ms[^1], 4));
    }
}
