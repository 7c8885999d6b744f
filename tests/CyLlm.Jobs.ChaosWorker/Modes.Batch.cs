using System.Globalization;
using CyLlm.Jobs.Batches;

namespace CyLlm.Jobs.ChaosWorker;

/// <summary>The batch victim.</summary>
internal static partial class Modes
{
    /// <summary>
    /// Runs (or resumes) a batch with <see cref="EchoExecutor"/>, <paramref name="concurrency"/> lines at once, waiting
    /// for another worker's lease to expire; prints the outcome.
    /// </summary>
    public static async Task<int> BatchAsync(string db, TaskId batch, string inputFile, string outDir, string owner, string execLog, int leaseMs, int lineMs, int concurrency)
    {
        await using var store = await Program.OpenAsync(db);
        string[] lines = await File.ReadAllLinesAsync(inputFile);
        var runner = new BatchRunner(store, new EchoExecutor(owner, execLog, lineMs), new BatchRunnerOptions(outDir)
        {
            LeaseDuration = TimeSpan.FromMilliseconds(leaseMs),
            HeartbeatInterval = TimeSpan.FromMilliseconds(leaseMs / 4),
            ProgressEvery = 5,
            MaxConcurrentLines = concurrency,
        });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var summary = await runner.RunAsync(batch, lines, owner);
            if (summary.Outcome != BatchRunOutcome.LeaseHeld)
            {
                Say(string.Create(CultureInfo.InvariantCulture, $"outcome {summary.Outcome} executed {summary.LinesExecuted} skipped {summary.LinesSkipped}"));
                return 0;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{owner} could not take batch {batch} over in 30 s");
            }

            await Task.Delay(20);
        }
    }
}
