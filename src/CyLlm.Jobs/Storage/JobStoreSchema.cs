namespace CyLlm.Jobs.Storage;

/// <summary>The schema every store implementation provides (its DDL is per provider, the table set is shared).</summary>
public static class JobStoreSchema
{
    /// <summary>Migration level this build needs. Bump it together with a new migration in every provider.</summary>
    public const int CurrentVersion = 3;

    public const string MigrationsTable = "schema_migrations";

    /// <summary>Tables a current schema has (schema_migrations included), in dependency order.</summary>
    public static readonly IReadOnlyList<string> Tables =
    [
        MigrationsTable, "tenants", "api_keys", "tasks", "task_events", "checkpoints", "leases",
        "idempotency_keys", "audit", "files", "response_cache", "batch_results", "blobs", "blob_chunks",
    ];
}
