namespace CyLlm.Jobs;

/// <summary>Outcome of one full scan: how many tasks and events were checked and every violation found.</summary>
public sealed record ConsistencyScanReport(int TasksScanned, int EventsScanned, IReadOnlyList<TaskViolation> Violations, TimeSpan Elapsed)
{
    public bool IsConsistent => Violations.Count == 0;
}
