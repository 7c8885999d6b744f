namespace CyLlm.Jobs.Storage;

/// <summary>
/// Everything a failure-evidence file records about a store: settings (SQLite pragmas / server settings), row counts per
/// table, the last 50 events, checkpoints and leases, idempotency statistics, and the focus task with its history.
/// </summary>
public sealed record StoreDiagnostics(
    string Provider,
    string Location,
    int SchemaVersion,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyDictionary<string, long> RowCounts,
    IReadOnlyList<TaskEvent> RecentEvents,
    IReadOnlyList<CheckpointRecord> Checkpoints,
    IReadOnlyList<Lease> Leases,
    IdempotencyStats Idempotency,
    TaskRecord? FocusTask,
    IReadOnlyList<TaskEvent> FocusHistory);
