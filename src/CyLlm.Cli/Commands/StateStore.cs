using CyLlm.Jobs.PostgreSql;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Commands;

/// <summary>Opens the state store for the state commands (`keys`, `tenants`, `doctor`, `migrate`): the data folder's
/// SQLite file, or the one <c>--store</c> / <c>CYLLM_STORE</c> names (SQLite or PostgreSQL). Both are multi-process
/// safe (SQLite: WAL and a busy timeout), so these commands work while `cyllm serve` runs on the same store.</summary>
internal static class StateStore
{
    /// <summary>Runs <paramref name="body"/> on the store (created and migrated when missing).</summary>
    public static int Run(string? dataDir, string? store, Func<IJobStore, Task<int>> body)
    {
        var opened = OpenAsync(Locate(dataDir, store), SchemaMode.Migrate).GetAwaiter().GetResult();
        try
        {
            return body(opened).GetAwaiter().GetResult();
        }
        finally
        {
            opened.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The store the options name; the data folder is created for a SQLite file inside it.</summary>
    public static StoreLocation Locate(string? dataDir, string? store)
    {
        string dir = DataDirectory.Resolve(dataDir);
        var location = StoreLocation.Resolve(store, dir);
        if (location.SqlitePath is { } file)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        }

        return location;
    }

    public static async Task<IJobStore> OpenAsync(StoreLocation location, SchemaMode mode, CancellationToken ct = default) =>
        location.PostgresConnectionString is { } cs
            ? await PostgreSqlJobStore.OpenAsync(new PostgreSqlJobStoreOptions(cs) { SchemaMode = mode }, ct)
            : await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(location.SqlitePath!) { SchemaMode = mode }, ct);
}
