namespace CyLlm.Jobs.Storage;

/// <summary>Settings shared by every store implementation.</summary>
public record JobStoreOptions
{
    /// <summary>Source of every timestamp and expiry decision (inject a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Checker run on every task read; a fresh one per store when null.</summary>
    public TaskConsistencyChecker? Checker { get; init; }

    public SchemaMode SchemaMode { get; init; } = SchemaMode.Migrate;

    /// <summary>An idempotency key left in progress this long (its request crashed) may be taken over by a new request.</summary>
    public TimeSpan IdempotencyInProgressTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts per transaction when the database reports a transient conflict (SQLITE_BUSY, serialization failure, deadlock).</summary>
    public int MaxWriteAttempts { get; init; } = 12;

    /// <summary>Bytes per row of a blob kept in the store (1 MiB: few rows per file, one row in memory per read step); tests use smaller ones.</summary>
    public int BlobChunkBytes { get; init; } = 1 << 20;
}
