namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>One check: name (e.g. <c>wal_mode</c>), outcome (passed, failed, skipped), message, time in ms.</summary>
public sealed record HealthCheckItem(string Name, string Outcome, string Message, double DurationMs);
