using System.Data.Common;
using System.Diagnostics;

namespace CyLlm.Jobs.Storage;

/// <summary>
/// The <see cref="IJobStore"/> logic shared by the SQLite and PostgreSQL stores, written once against ADO.NET with SQL both
/// dialects accept (ON CONFLICT, RETURNING, row values). A subclass supplies connections, the write transaction
/// (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED plus <see cref="LockRow"/> = FOR UPDATE), error classification and DDL.
/// Every write runs in one transaction that is retried with backoff on transient errors; times are stored as Unix
/// milliseconds (bigint) so both databases compare them identically.
/// </summary>
/// <remarks>Split by area over AdoJobStore.*.cs.</remarks>
public abstract partial class AdoJobStore : IJobStore
{
    protected AdoJobStore(JobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Time = options.Time;
        Checker = options.Checker ?? new TaskConsistencyChecker();
    }

    public abstract string Provider { get; }

    public abstract string Location { get; }

    public TimeProvider Time { get; }

    public TaskConsistencyChecker Checker { get; }

    protected JobStoreOptions Options { get; }

    /// <summary>Suffix that locks rows read inside a write transaction: <c> FOR UPDATE</c> on PostgreSQL, empty on SQLite (BEGIN IMMEDIATE already serialises writers).</summary>
    protected virtual string LockRow => "";

    /// <summary>This provider's migrations, ascending; the last one's version is <see cref="JobStoreSchema.CurrentVersion"/>.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>An open connection with the session settings applied (SQLite pragmas, PostgreSQL search path).</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Starts a write transaction that holds the write lock from its first statement.</summary>
    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Serialises concurrent migrations (PostgreSQL advisory lock); SQLite's BEGIN IMMEDIATE already does.</summary>
    protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>True for errors worth retrying the whole transaction (busy/locked, serialization failure, deadlock).</summary>
    protected abstract bool IsTransient(Exception error);

    /// <summary>A clear store exception for a provider error (full, read-only, unavailable, constraint), or null to rethrow it.</summary>
    protected abstract JobStoreException? Translate(Exception error);

    /// <summary>Names of the tables in the store's schema.</summary>
    protected abstract Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Journal mode, busy timeout and data folder (SQLite) for the health check.</summary>
    protected abstract Task<(string? JournalMode, int? BusyTimeoutMs, string? DataDirectory)> ReadHealthFactsAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Provider settings for diagnostics (SQLite pragmas, PostgreSQL server settings).</summary>
    protected abstract Task<IReadOnlyDictionary<string, string>> ReadSettingsAsync(DbConnection connection, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>Runs a read on a fresh pooled connection, retrying transient errors.</summary>
    protected Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> body, CancellationToken ct) =>
        RunAsync(body, static async (store, c, b, ct) => await b(c, ct).ConfigureAwait(false), write: false, ct);

    /// <summary>Runs <paramref name="body"/> in one write transaction, committing on success; retries the whole transaction on transient errors.</summary>
    protected Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> body, CancellationToken ct) =>
        RunAsync(body, static async (store, c, b, ct) =>
        {
            await using var tx = await store.BeginWriteAsync(c, ct).ConfigureAwait(false);
            T result = await b(c, tx, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, write: true, ct);

    private async Task<T> RunAsync<TBody, T>(TBody body, Func<AdoJobStore, DbConnection, TBody, CancellationToken, Task<T>> run, bool write, CancellationToken ct)
    {
        Debug.Assert(Options.MaxWriteAttempts >= 1, "at least one attempt");
        for (int attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
                return await run(this, c, body, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not JobStoreException && e is not OperationCanceledException && IsTransient(e) && attempt < Options.MaxWriteAttempts)
            {
                // Backoff with jitter: 5, 10, 20 ... ms capped at 500 ms, so a burst of writers spreads out instead of retrying in lockstep.
                int cap = Math.Min(500, 5 << Math.Min(attempt, 7));
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(cap / 2, cap + 1)), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not JobStoreException && e is not OperationCanceledException && Translate(e) is { } clear)
            {
                throw clear;
            }
            catch (Exception e) when (e is not JobStoreException && e is not OperationCanceledException && IsTransient(e))
            {
                throw new JobStoreException($"{Provider} {(write ? "write" : "read")} on {Location} still conflicted after {attempt} attempts: {e.Message}", e);
            }
        }
    }

    protected static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    /// <summary>Adds a parameter named <paramref name="name"/> (with its @); null becomes DBNull.</summary>
    protected static void Param(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    protected static async Task<int> ExecAsync(DbCommand cmd, CancellationToken ct)
    {
        await using (cmd.ConfigureAwait(false))
        {
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    protected static async Task<long> ScalarLongAsync(DbCommand cmd, CancellationToken ct)
    {
        await using (cmd.ConfigureAwait(false))
        {
            object? v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return v is null or DBNull ? 0 : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    protected long NowMs() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    protected static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    protected static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    protected static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    protected static DateTimeOffset? AtOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : At(r.GetInt64(i));

    protected static string? StringOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    protected static long? LongOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    /// <summary>Truncates timestamps to the stored millisecond precision so a written record equals its re-read self.</summary>
    protected static DateTimeOffset Trunc(DateTimeOffset t) => At(Ms(t));

    protected static DateTimeOffset? Trunc(DateTimeOffset? t) => t is null ? null : At(Ms(t.Value));

    private static void RequireTenant(string tenantId)
    {
        if (string.IsNullOrWhiteSpace(tenantId))
        {
            throw new ArgumentException("tenant id must not be empty", nameof(tenantId));
        }
    }

    private static void RequireLimit(int limit)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be within 1..10000");
        }
    }
}
