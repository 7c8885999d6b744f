using System.CommandLine;
using CyLlm.Jobs.Health;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm doctor`: the start-up health check on its own — database opens, WAL, busy_timeout, schema version,
/// required tables, free disk. Prints one line per check and a summary; exit 1 when any check failed.
/// `cyllm migrate` brings the schema up to date.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var dataDir = DataDirectory.Option();
        var store = StoreLocation.Option();
        var minFree = new Option<long>("--min-free-mb") { Description = "free disk below this fails the check", DefaultValueFactory = _ => 1024 };
        var cmd = new Command("doctor", "check the state folder and database before serving") { dataDir, store, minFree };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string dir = DataDirectory.Resolve(parse.GetValue(dataDir));
            var report = Run(dir, StateStore.Locate(parse.GetValue(dataDir), parse.GetValue(store)), parse.GetValue(minFree) << 20);
            Console.WriteLine(report.Summary());
            return report.Healthy ? 0 : 1;
        }));
        return cmd;
    }

    public static Command CreateMigrate()
    {
        var dataDir = DataDirectory.Option();
        var storeOption = StoreLocation.Option();
        var cmd = new Command("migrate", "create or upgrade the state database schema (SQLite or PostgreSQL; run once before rolling out replicas)") { dataDir, storeOption };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            var location = StateStore.Locate(parse.GetValue(dataDir), parse.GetValue(storeOption));
            var store = StateStore.OpenAsync(location, SchemaMode.None).GetAwaiter().GetResult();
            int applied;
            try
            {
                applied = store.MigrateAsync().GetAwaiter().GetResult();
            }
            finally
            {
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Console.WriteLine($"{location.Display}: {applied} migration(s) applied, schema current");
            return 0;
        }));
        return cmd;
    }

    internal static HealthReport Run(string dataDir, StoreLocation store, long minFreeBytes)
    {
        Directory.CreateDirectory(dataDir);
        var checker = new HealthChecker(new HealthCheckOptions { DataDirectory = dataDir, MinFreeDiskBytes = minFreeBytes, FailFast = false });
        return checker.RunAsync(async ct => await StateStore.OpenAsync(store, SchemaMode.None, ct)).GetAwaiter().GetResult();
    }
}
