using System.Data;
using System.Data.Common;
using System.Globalization;
using CyLlm.Jobs.Storage;
using Npgsql;

namespace CyLlm.Jobs.PostgreSql;

/// <summary>
/// The store for deployments with several gateway or worker nodes. Writes run in READ COMMITTED transactions that lock
/// the rows they read (SELECT … FOR UPDATE), which gives the same compare-and-set, lease and idempotency semantics as
/// SQLite's BEGIN IMMEDIATE without serialising unrelated tasks. Serialization failures and deadlocks are retried;
/// migrations take a transaction-scoped advisory lock so concurrent nodes migrate once.
/// </summary>
public sealed class PostgreSqlJobStore : AdoJobStore
{
    private readonly PostgreSqlJobStoreOptions options;
    private readonly NpgsqlDataSource dataSource;
    private readonly string location;

    private PostgreSqlJobStore(PostgreSqlJobStoreOptions options, NpgsqlConnectionStringBuilder builder)
        : base(options)
    {
        this.options = options;
        dataSource = NpgsqlDataSource.Create(builder);
        location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}" + (options.SchemaName is null ? "" : $" (schema {options.SchemaName})");
    }

    public override string Provider => "postgresql";

    public override string Location => location;

    protected override string LockRow => " FOR UPDATE";

    protected override IReadOnlyList<Migration> Migrations => PostgreSqlMigrations.All;

    /// <summary>
    /// Connects, creates <see cref="PostgreSqlJobStoreOptions.SchemaName"/> if needed and applies <see cref="JobStoreOptions.SchemaMode"/>.
    /// Throws <see cref="StoreUnavailableException"/> with the server's reason when it cannot connect.
    /// </summary>
    public static async Task<PostgreSqlJobStore> OpenAsync(PostgreSqlJobStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid PostgreSQL connection string: {e.Message}", nameof(options), e);
        }

        if (options.SchemaName is { } schema)
        {
            if (schema.Length is 0 or > 63 || !schema.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw new ArgumentException($"schema '{schema}' must be 1..63 characters of [a-z0-9_]", nameof(options));
            }

            builder.SearchPath = schema;
        }

        var store = new PostgreSqlJobStore(options, builder);
        try
        {
            if (options.SchemaName is { } s)
            {
                await store.WriteAsync(async (c, tx, ct) =>
                {
                    await using var cmd = Command(c, tx, $"CREATE SCHEMA IF NOT EXISTS {s}");
                    return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
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

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        // One advisory lock per schema; released at commit. Key: a stable 64-bit FNV-1a of the schema name.
        ulong h = 14695981039346656037UL;
        foreach (char ch in "cyllm-migrate:" + (options.SchemaName ?? "public"))
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        await using var cmd = Command(connection, tx, "SELECT pg_advisory_xact_lock(@key)");
        Param(cmd, "@key", unchecked((long)h));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    protected override bool IsTransient(Exception error) => error switch
    {
        // serialization_failure, deadlock_detected, lock_not_available, cannot_connect_now (server starting)
        PostgresException pe => pe.SqlState is "40001" or "40P01" or "55P03" or "57P03",
        NpgsqlException ne => ne.IsTransient,
        _ => false,
    };

    protected override JobStoreException? Translate(Exception error) => error switch
    {
        PostgresException { SqlState: "53100" } e => new StorageFullException($"PostgreSQL {location} is out of disk space; the write was rolled back", e),
        PostgresException { SqlState: "25006" } e => new StoreReadOnlyException($"PostgreSQL {location} is read-only (hot standby or default_transaction_read_only); nothing was written", e),
        PostgresException { SqlState: "28P01" or "28000" or "3D000" or "3F000" } e => new StoreUnavailableException($"cannot use PostgreSQL {location}: {e.MessageText}", e),
        PostgresException e when e.SqlState.StartsWith("23", StringComparison.Ordinal) => new JobStoreException($"constraint failed in {location}: {e.MessageText}", e),
        NpgsqlException e => new StoreUnavailableException($"cannot reach PostgreSQL {location}: {e.Message}", e),
        _ => null,
    };

    protected override async Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken ct)
    {
        await using var cmd = Command(connection, null, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var names = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            names.Add(r.GetString(0));
        }

        return names;
    }

    protected override Task<(string? JournalMode, int? BusyTimeoutMs, string? DataDirectory)> ReadHealthFactsAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<(string?, int?, string?)>((null, null, null));

    protected override async Task<IReadOnlyDictionary<string, string>> ReadSettingsAsync(DbConnection connection, CancellationToken ct)
    {
        await using var cmd = Command(connection, null,
            "SELECT version(), current_database(), current_schema(), current_setting('transaction_isolation'), current_setting('synchronous_commit'), "
            + "current_setting('fsync'), current_setting('max_connections'), current_setting('default_transaction_read_only')");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        string[] names = ["server_version", "database", "schema", "transaction_isolation", "synchronous_commit", "fsync", "max_connections", "default_transaction_read_only"];
        var d = new Dictionary<string, string>();
        for (int i = 0; i < names.Length; i++)
        {
            d[names[i]] = r.IsDBNull(i) ? "" : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture) ?? "";
        }

        return d;
    }
}
