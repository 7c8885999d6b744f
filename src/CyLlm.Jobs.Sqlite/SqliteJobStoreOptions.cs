using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Sqlite;

/// <summary>Settings of a <see cref="SqliteJobStore"/>.</summary>
public sealed record SqliteJobStoreOptions : JobStoreOptions
{
    public SqliteJobStoreOptions(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
    }

    /// <summary>Absolute path of the database file (its -wal and -shm files live beside it).</summary>
    public string DatabasePath { get; }

    /// <summary>How long SQLite itself waits for another writer before reporting busy (≥ 5000 ms; the health check enforces it).</summary>
    public int BusyTimeoutMs { get; init; } = 5000;

    /// <summary>
    /// FULL by default: the store promises that an acknowledged write survives a crash of the machine, not only of the
    /// process, and FULL costs one WAL fsync per commit (well under a millisecond per write on an SSD, ~100 checkpoints/s
    /// measured on slow CI disks). NORMAL is safe against kill -9 and may be chosen where losing the last commits on
    /// power failure is acceptable.
    /// </summary>
    public SqliteSynchronous Synchronous { get; init; } = SqliteSynchronous.Full;

    /// <summary>Open the file read-only (inspection, health checks on a read-only mount); every write then fails with <see cref="StoreReadOnlyException"/>.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Optional size quota in pages (<c>PRAGMA max_page_count</c>); past it writes fail with <see cref="StorageFullException"/>.</summary>
    public long? MaxPageCount { get; init; }
}
