using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.ChaosWorker;

/// <summary>
/// Entry point: <c>dotnet CyLlm.Jobs.ChaosWorker.dll MODE ARGS...</c>. Each mode prints progress lines on stdout
/// (flushed per line) that the tests read to decide when to kill it; errors go to stderr with exit code 1.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.Out.Flush();
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        Console.SetOut(stdout);
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: MODE ARGS... (atomic-loop, checkpoints, lease-worker, idempotent-create, cache-put, cache-get, batch)");
            return 2;
        }

        try
        {
            return args[0] switch
            {
                "atomic-loop" => await Modes.AtomicLoopAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
                "checkpoints" => await Modes.CheckpointsAsync(args[1], TaskId.Parse(args[2]), Int(args[3])),
                "lease-worker" => await Modes.LeaseWorkerAsync(args[1], TaskId.Parse(args[2]), args[3], Int(args[4]), Int(args[5]), args[6], Int(args[7])),
                "idempotent-create" => await Modes.IdempotentCreateAsync(args[1], args[2], args[3], Int(args[4])),
                "cache-put" => await Modes.CachePutAsync(args[1], args[2], args[3]),
                "cache-get" => await Modes.CacheGetAsync(args[1], args[2]),
                "batch" => await Modes.BatchAsync(args[1], TaskId.Parse(args[2]), args[3], args[4], args[5], args[6], Int(args[7]), Int(args[8]), args.Length > 9 ? Int(args[9]) : 1),
                _ => throw new ArgumentException($"unknown mode '{args[0]}'"),
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    internal static Task<SqliteJobStore> OpenAsync(string db) => SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(db));

    private static int Int(string s) => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
}
