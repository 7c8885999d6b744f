namespace CyLlm.Jobs.Health;

/// <summary>One check: its name (e.g. <c>wal_mode</c>), outcome, one-line message and how long it took.</summary>
public sealed record HealthCheckResult(string Name, HealthOutcome Outcome, string Message, TimeSpan Duration);
