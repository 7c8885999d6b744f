namespace CyLlm.Engine.Scheduling;

/// <summary>Nearest-rank percentiles of a <see cref="SlidingWindow"/> of latencies, in the window's unit
/// (seconds for the serving engine's latency windows); all 0 when <see cref="Samples"/> is 0.</summary>
public readonly record struct LatencyPercentiles(int Samples, double P50, double P95, double P99);
