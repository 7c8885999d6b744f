using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Commands;

/// <summary>Opens the SQLite store of a data folder for the state commands (`keys`, `tenants`). The store is
/// multi-process safe (WAL, busy timeout), so these commands work while `cyllm serve` runs on the same folder.</summary>
internal static class StateStore
{
    /// <summary>Runs <paramref name="body"/> on the folder's store (created and migrated when missing).</summary>
    public static int Run(string? dataDir, Func<IJobStore, Task<int>> body)
    {
        string dir = DataDirectory.Resolve(dataDir);
        Directory.CreateDirectory(dir);
        var store = SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(DataDirectory.Database(dir))).GetAwaiter().GetResult();
        try
        {
            return body(store).GetAwaiter().GetResult();
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
