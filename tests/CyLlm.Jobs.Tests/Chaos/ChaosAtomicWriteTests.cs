using System.Globalization;
using CyLlm.Jobs.ChaosWorker;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Scenario 1: kill -9 of a process in a loop of atomic writes, at random moments, 200 times.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosAtomicWriteTests
{
    private const int Iterations = 200;
    private const int Lanes = 4;

    [Fact]
    public async Task Killing_a_writer_at_random_moments_never_leaves_a_torn_file_that_verifies()
    {
        using var dir = new TempDir();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int interrupted = 0;
        await Evidence.GuardAsync("chaos-atomic-write", () => null, () => null, async () =>
        {
            var lanes = Enumerable.Range(0, Lanes).Select(lane => Task.Run(async () =>
            {
                string path = dir.File($"lane-{lane}.bin");
                var rng = new Random(1000 + lane);
                int current = -1;
                for (int i = 0; i < Iterations / Lanes; i++)
                {
                    using var w = WorkerProcess.Start("atomic-loop", path, lane.ToString(CultureInfo.InvariantCulture), (current + 1).ToString(CultureInfo.InvariantCulture));
                    await w.WaitForLineAsync(l => l == "ready");
                    int delay = rng.Next(5, 41);
                    await Task.Delay(delay);
                    await w.KillAsync();

                    int acknowledged = current;
                    foreach (string l in w.Lines)
                    {
                        if (l.StartsWith("done ", StringComparison.Ordinal))
                        {
                            acknowledged = int.Parse(l.AsSpan(5), CultureInfo.InvariantCulture);
                        }
                    }

                    int found = File.Exists(path) ? VersionedContent.TryParse(File.ReadAllBytes(path), lane) : -1;
                    var verify = AtomicFile.Verify(path);
                    log.Enqueue($"lane {lane} iter {i}: killed after {delay} ms, acknowledged v{acknowledged}, file v{found}, verify {verify.Status}");

                    // The file is a whole version: the last acknowledged one or the one being written.
                    Assert.True(found == acknowledged || found == acknowledged + 1,
                        $"lane {lane} iteration {i}: file holds version {found}, acknowledged {acknowledged} ({verify})");

                    // Never "ok" for anything but exactly the bytes the marker describes.
                    if (verify.IsOk)
                    {
                        Assert.True(found >= 0, $"verify said ok for a torn file ({verify})");
                    }
                    else
                    {
                        Interlocked.Increment(ref interrupted);
                    }

                    var recovered = AtomicFile.Recover(path);
                    Assert.True(found < 0 ? recovered.Status == AtomicVerifyStatus.MissingFile : recovered.IsOk, $"after recovery: {recovered}");
                    Assert.Equal(found, File.Exists(path) ? VersionedContent.TryParse(File.ReadAllBytes(path), lane) : -1);
                    current = Math.Max(found, current);
                }
            })).ToArray();
            await Task.WhenAll(lanes);

            // The kills must really have landed inside writes, or the scenario proved nothing.
            Assert.True(interrupted >= Iterations / 5, $"only {interrupted} of {Iterations} kills interrupted a write");
        }, () => new Dictionary<string, string> { ["iterations"] = string.Join("\n", log.TakeLast(60)), ["interrupted"] = interrupted.ToString(CultureInfo.InvariantCulture) });
    }
}
