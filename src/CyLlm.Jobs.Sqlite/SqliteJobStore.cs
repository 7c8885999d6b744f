using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using CyLlm.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace CyLlm.Jobs.Sqlite;

/// <summary>
/// The default store: one SQLite file shared safely by many threads and processes. WAL journal (readers never block the
/// writer), <c>busy_timeout</c> ≥ 5000 ms, foreign keys on, <c>synchronous=FULL</c> (see
/// <see cref="SqliteJobStoreOptions.Synchronous"/>), every write in <c>BEGIN IMMEDIATE</c> so a transaction takes the
/// write lock before it reads (no deadlocking lock upgrades), and SQLITE_BUSY/LOCKED retried with backoff on top of
/// SQLite's own busy wait.
/// </summary>
public sealed class SqliteJobStore : AdoJobStore
{
    // SQLite primary result codes (sqlite3.h).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteConstraint = 19;
    private const int SqliteNotADb = 26;

    private readonly SqliteJobStoreOptions options;
    private readonly string connectionString;
    private readonly string sessionPragmas;

    private SqliteJobStore(SqliteJobStoreOptions options)
        : base(options)
    {
        this.options = options;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = options.ReadOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        sessionPragmas = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {options.BusyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {(int)options.Synchronous};")
            + (options.MaxPageCount is { } pages ? string.Create(CultureInfo.InvariantCulture, $" PRAGMA max_page_count = {pages};") : "");
    }

    public override string Provider => "sqlite";

    public override string Location => options.DatabasePath;

    public string DatabasePath => options.DatabasePath;

    protected override IReadOnlyList<Migration> Migrations => SqliteMigrations.All;

    /// <summary>
    /// Opens (creating if needed) the database, switches it to WAL and applies <see cref="JobStoreOptions.SchemaMode"/>.
    /// Throws <see cref="StoreUnavailableException"/> when the file cannot be opened, <see cref="StoreReadOnlyException"/>
    /// when it cannot be written, <see cref="SchemaOutOfDateException"/> in Verify mode.
    /// </summary>
    public static async Task<SqliteJobStore> OpenAsync(SqliteJobStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BusyTimeoutMs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BusyTimeoutMs, "busy timeout must be ≥ 0 ms");
        }

        string? dir = Path.GetDirectoryName(options.DatabasePath);
        if (dir is null || !Directory.Exists(dir))
        {
            throw new StoreUnavailableException($"cannot open SQLite database {options.DatabasePath}: folder {dir} does not exist");
        }

        var store = new SqliteJobStore(options);
        try
        {
            if (!options.ReadOnly)
            {
                // journal_mode is persistent in the file; setting it again is a no-op once it is WAL.
                string mode = await store.ReadAsync(async (c, ct) =>
                {
                    await using var cmd = Command(c, null, "PRAGMA journal_mode = WAL");
                    return (string?)await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? "";
                }, ct).ConfigureAwait(false);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new StoreUnavailableException($"SQLite database {options.DatabasePath} refused WAL mode (journal_mode is '{mode}'; is it on a network file system?)");
                }
            }

            await store.ApplySchemaModeAsync(ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c>; returns "ok" for a sound file, otherwise SQLite's findings (one per line).</summary>
    public Task<string> IntegrityCheckAsync(CancellationToken ct = default) =>
        ReadAsync(async (c, ct) =>
        {
            await using var cmd = Command(c, null, "PRAGMA integrity_check");
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var lines = new List<string>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                lines.Add(r.GetString(0));
            }

            return string.Join('\n', lines);
        }, ct);

    /// <summary>Copies the WAL into the main file and truncates it (for backups and tests that inspect the file).</summary>
    public Task CheckpointAsync(CancellationToken ct = default) =>
        ReadAsync(async (c, ct) =>
        {
            await using var cmd = Command(c, null, "PRAGMA wal_checkpoint(TRUNCATE)");
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file (and its -wal/-shm) open; close them so the files can be moved or deleted.
        using var c = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(c);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(connectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = sessionPragmas;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct)
    {
        Debug.Assert(connection is SqliteConnection, "SQLite store connections are SqliteConnection");

        // deferred: false → BEGIN IMMEDIATE: the write lock is taken now (waiting up to busy_timeout), not at the first write.
        return ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));
    }

    protected override bool IsTransient(Exception error) =>
        error is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };

    protected override JobStoreException? Translate(Exception error)
    {
        if (error is not SqliteException e)
        {
            return null;
        }

        string db = options.DatabasePath;
        return e.SqliteErrorCode switch
        {
            SqliteFull => new StorageFullException($"SQLite database {db} is full (disk full or size quota reached); the write was rolled back", e),
            SqliteReadOnly => new StoreReadOnlyException($"SQLite database {db} is read-only (file, folder or mount not writable, or opened read-only); nothing was written", e),
            SqliteCantOpen => new StoreUnavailableException($"cannot open SQLite database {db}: {e.Message}", e),
            SqliteNotADb or SqliteCorrupt => new JobStoreException($"SQLite database {db} is damaged or not a database ({e.Message}); restore it from a backup", e),
            SqliteIoErr => new JobStoreException($"disk I/O error on SQLite database {db}: {e.Message}", e),
            SqliteConstraint => new JobStoreException($"constraint failed in {db}: {e.Message}", e),
            _ => null,
        };
    }

    protected override async Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken ct)
    {
        await using var cmd = Command(connection, null, "SELECT name FROM sqlite_master WHERE type = 'table'");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var names = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            names.Add(r.GetString(0));
        }

        return names;
    }

    protected override async Task<(string? JournalMode, int? BusyTimeoutMs, string? DataDirectory)> ReadHealthFactsAsync(DbConnection connection, CancellationToken ct)
    {
        string mode = await PragmaAsync(connection, "journal_mode", ct).ConfigureAwait(false);
        string busy = await PragmaAsync(connection, "busy_timeout", ct).ConfigureAwait(false);
        return (mode, int.TryParse(busy, CultureInfo.InvariantCulture, out int ms) ? ms : null, Path.GetDirectoryName(options.DatabasePath));
    }

    protected override async Task<IReadOnlyDictionary<string, string>> ReadSettingsAsync(DbConnection connection, CancellationToken ct)
    {
        var d = new Dictionary<string, string>();
        foreach (string p in (string[])["journal_mode", "synchronous", "busy_timeout", "foreign_keys", "page_size", "page_count",
                     "freelist_count", "max_page_count", "wal_autocheckpoint", "user_version", "quick_check"])
        {
            d[p] = await PragmaAsync(connection, p, ct).ConfigureAwait(false);
        }

        await using var v = Command(connection, null, "SELECT sqlite_version()");
        d["sqlite_version"] = (string?)await v.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? "";
        d["file"] = options.DatabasePath;
        return d;
    }

    private static async Task<string> PragmaAsync(DbConnection connection, string pragma, CancellationToken ct)
    {
        // pragma names come from fixed lists in this class, never from input.
        await using var cmd = Command(connection, null, "PRAGMA " + pragma);
        object? v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
    }
}
