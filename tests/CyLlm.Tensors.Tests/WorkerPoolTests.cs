using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>Back-to-back runs of the worker pool: every part runs exactly once, on any worker, whatever the
/// part counts of the runs around it (the race a worker could lose between a run's generation and its ticket).</summary>
public sealed class WorkerPoolTests
{
    private sealed class CountingJob(int capacity) : IParallelJob
    {
        public readonly int[] Hits = new int[capacity];
        public readonly int[] ByWorker = new int[8];

        public void Execute(int index, int worker)
        {
            Interlocked.Increment(ref Hits[index]);
            Interlocked.Increment(ref ByWorker[worker]);
        }
    }

    [Fact]
    public void Every_part_of_every_run_executes_exactly_once()
    {
        using var pool = new WorkerPool(3);
        var rng = new Random(7);
        var totalByWorker = new int[8];
        for (int run = 0; run < 20_000; run++)
        {
            int parts = rng.Next(1, 40);
            var job = new CountingJob(parts);
            pool.Run(job, parts);
            for (int i = 0; i < parts; i++)
            {
                Assert.Equal(1, job.Hits[i]);
            }

            for (int w = 0; w < 8; w++)
            {
                totalByWorker[w] += job.ByWorker[w];
            }
        }

        // The helper threads take part (with 20,000 runs, a worker that sat runs out would still show some,
        // so this only guards against a pool that never hands out work).
        Assert.True(totalByWorker[1] + totalByWorker[2] > 0);
    }
}
