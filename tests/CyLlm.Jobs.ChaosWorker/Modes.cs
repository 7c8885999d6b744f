using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CyLlm.Jobs.Caching;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.ChaosWorker;

/// <summary>The worker's modes; each is one chaos scenario's victim process.</summary>
internal static partial class Modes
{
    private static readonly Lock ConsoleGate = new();

    internal static void Say(string line)
    {
        lock (ConsoleGate)
        {
            Console.Out.WriteLine(line);
        }
    }

    /// <summary>Writes versions startK, startK+1, ... of one file forever, printing "done K" after each write returns.</summary>
    public static async Task<int> AtomicLoopAsync(string path, int seed, int startK)
    {
        // Warm up the write path (JIT, first fsync) on a scratch file so kills land in steady-state writes.
        string scratch = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $"warmup-{Environment.ProcessId}.bin");
        await AtomicFile.WriteAsync(scratch, VersionedContent.Make(0, seed));
        File.Delete(scratch);
        File.Delete(scratch + AtomicFile.MarkerSuffix);
        Say("ready");
        for (int k = startK; ; k++)
        {
            await AtomicFile.WriteAsync(path, VersionedContent.Make(k, seed));
            Say(string.Create(CultureInfo.InvariantCulture, $"done {k}"));
        }
    }

    /// <summary>Waits for "go" on stdin, then records <paramref name="count"/> checkpoints (and progress) for its task.</summary>
    public static async Task<int> CheckpointsAsync(string db, TaskId task, int count)
    {
        await using var store = await Program.OpenAsync(db);
        Say("ready");
        if (Console.ReadLine() != "go")
        {
            throw new InvalidOperationException("expected 'go' on stdin");
        }

        for (int step = 0; step < count; step++)
        {
            string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{task}/{step}")));
            await store.AddCheckpointAsync(new CheckpointRecord(task, step, $"/checkpoints/{task}/{step}.bin", 1000 + step, sha, store.Time.GetUtcNow(), null));
            int pct = (step + 1) * 100 / count;
            await store.UpdateTaskAsync(task, t => TaskStateMachine.ReportProgress(t, pct, store.Time.GetUtcNow()), message: "progress");
        }

        Say("ok");
        return 0;
    }

    /// <summary>
    /// Takes the task's lease (waiting for an expired one), resumes after its latest checkpoint and runs the remaining
    /// steps: append "OWNER STEP" to the work log (the step ran), work for <paramref name="stepMs"/>, write the checkpoint
    /// file atomically, record it fenced by the lease, heartbeat, print "cp STEP". Finishes the task as succeeded.
    /// </summary>
    public static async Task<int> LeaseWorkerAsync(string db, TaskId task, string owner, int steps, int leaseMs, string workLog, int stepMs)
    {
        await using var store = await Program.OpenAsync(db);
        var duration = TimeSpan.FromMilliseconds(leaseMs);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Lease? lease;
        while ((lease = await store.TryAcquireLeaseAsync(task, owner, duration)) is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{owner} could not acquire the lease on {task} in 30 s");
            }

            await Task.Delay(20);
        }

        var last = await store.GetLatestCheckpointAsync(task);
        long start = last is null ? 0 : last.Step + 1;
        Say(string.Create(CultureInfo.InvariantCulture, $"acquired {lease.Epoch} resume {start}"));
        string dir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(db))!, "checkpoints");
        Directory.CreateDirectory(dir);

        // A predecessor killed mid-write may have left temp files (or an unpublished marker) for the step this worker
        // resumes at: recover that target first, as a trainer's resume does, so no torn write outlives the resume.
        AtomicFile.Recover(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"step-{start}.ckpt")));
        for (long s = start; s < steps; s++)
        {
            await File.AppendAllTextAsync(workLog, string.Create(CultureInfo.InvariantCulture, $"{owner} {s}\n"));
            await Task.Delay(stepMs);
            var written = await AtomicFile.WriteAsync(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"step-{s}.ckpt")),
                Encoding.UTF8.GetBytes($"{task} step {s} by {owner}"));
            await store.AddCheckpointAsync(new CheckpointRecord(task, s, written.Path, written.SizeBytes, written.Sha256, store.Time.GetUtcNow(), owner), lease);
            lease = await store.HeartbeatAsync(lease, duration);
            int pct = (int)((s + 1) * 100 / steps);
            await store.UpdateTaskAsync(task, t => TaskStateMachine.ReportProgress(t, pct, store.Time.GetUtcNow()), lease, "progress");
            Say(string.Create(CultureInfo.InvariantCulture, $"cp {s}"));
        }

        await store.UpdateTaskAsync(task, t => TaskStateMachine.MoveTo(t, TaskStage.Succeeded, store.Time.GetUtcNow()), lease, "finished");
        await store.ReleaseLeaseAsync(lease);
        Say("finished");
        return 0;
    }

    /// <summary>After "go" on stdin, <paramref name="concurrency"/> concurrent create requests with one idempotency key; prints "created ID" or "replay ID" per request.</summary>
    public static async Task<int> IdempotentCreateAsync(string db, string tenant, string key, int concurrency)
    {
        await using var store = await Program.OpenAsync(db);
        string hash = IdempotentRequest.Hash("POST", "/v1/tasks", Encoding.UTF8.GetBytes("{\"kind\":\"transfer\"}"));
        Say("ready");
        if (Console.ReadLine() != "go")
        {
            throw new InvalidOperationException("expected 'go' on stdin");
        }

        var clients = new Task[concurrency];
        for (int i = 0; i < concurrency; i++)
        {
            clients[i] = Task.Run(async () =>
            {
                while (true)
                {
                    try
                    {
                        var r = await IdempotentRequest.ExecuteAsync(store, tenant, key, hash, TimeSpan.FromHours(1), async ct =>
                        {
                            var t = TaskStateMachine.Create(TaskId.New(TaskKind.Transfer), tenant, store.Time.GetUtcNow());
                            await store.CreateTaskAsync(t, ct);
                            return (201, t.Id.Value);
                        });
                        Say((r.Replayed ? "replay " : "created ") + r.Body);
                        return;
                    }
                    catch (IdempotencyKeyException e) when (e.Outcome == IdempotencyOutcome.InProgress)
                    {
                        // The first request is still creating: a real client retries after a moment.
                        await Task.Delay(5);
                    }
                }
            });
        }

        await Task.WhenAll(clients);
        return 0;
    }

    public static async Task<int> CachePutAsync(string db, string key, string value)
    {
        await using var store = await Program.OpenAsync(db);
        await new ResponseCache(store).PutAsync(key, Encoding.UTF8.GetBytes(value));
        Say("ok");
        return 0;
    }

    public static async Task<int> CacheGetAsync(string db, string key)
    {
        await using var store = await Program.OpenAsync(db);
        byte[]? v = await new ResponseCache(store).TryGetAsync(key);
        Say(v is null ? "miss" : "hit " + Encoding.UTF8.GetString(v));
        return 0;
    }
}
