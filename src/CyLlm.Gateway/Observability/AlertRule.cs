namespace CyLlm.Gateway.Observability;

/// <summary>
/// An alert with hysteresis: it fires when a sample reaches <paramref name="FireAt"/> (and, with
/// <paramref name="For"/>, has stayed there that long) and re-arms only once a sample falls to
/// <paramref name="ClearAt"/> or below — so a value hovering at the threshold is one excursion, not many.
/// </summary>
public sealed record AlertRule(string Name, double FireAt, double ClearAt, TimeSpan For = default);
