namespace CyLlm.Jobs.Storage;

/// <summary>
/// Durable state for tasks, their history, checkpoints, leases, idempotency keys, audit rows, tenants and API keys,
/// files, the response cache and batch line results. Implementations: SQLite (one file, many processes) and PostgreSQL
/// (many nodes); both pass the same conformance suite. Every write is one transaction; every task read is validated by
/// <see cref="Checker"/>; every task write is validated before it reaches the database (and again by CHECK constraints).
/// All times come from <see cref="Time"/>. Methods are thread-safe; an instance is meant to be shared.
/// </summary>
/// <remarks>Split by area over IJobStore.*.cs.</remarks>
public partial interface IJobStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    string Provider { get; }

    /// <summary>Where the data lives, for messages: a file path, or host/database/schema (never a password).</summary>
    string Location { get; }

    TimeProvider Time { get; }

    /// <summary>The checker that validates every task this store reads and counts what it finds.</summary>
    TaskConsistencyChecker Checker { get; }

    /// <summary>Highest applied migration (0 for an empty database).</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken ct = default);

    /// <summary>Applies pending migrations (safe when several processes do it at once); returns how many ran.</summary>
    Task<int> MigrateAsync(CancellationToken ct = default);

    /// <summary>Facts for the start-up health check, read through a fresh connection (so it also proves the database opens).</summary>
    Task<StoreHealthInfo> GetHealthInfoAsync(CancellationToken ct = default);

    /// <summary>Settings, row counts, recent events, checkpoints, leases and idempotency statistics for failure evidence.</summary>
    /// <param name="focus">A task whose row and full history to include.</param>
    Task<StoreDiagnostics> GetDiagnosticsAsync(TaskId? focus = null, CancellationToken ct = default);

    /// <summary>Deletes expired idempotency keys, expired cache entries and leases that expired over an hour ago.</summary>
    Task<PurgeReport> PurgeExpiredAsync(CancellationToken ct = default);
}
