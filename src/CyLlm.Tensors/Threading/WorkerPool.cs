using System.Diagnostics;

namespace CyLlm.Tensors.Threading;

/// <summary>
/// A persistent pool of worker threads sized to the cores (rule: one pool, never a Task per matmul).
/// The calling thread takes part as worker 0. Parts are claimed dynamically with an interlocked counter,
/// so uneven parts balance themselves. Workers spin briefly between runs (decode issues hundreds of small
/// matmuls per token) and then block, so an idle engine costs no CPU.
/// Runs are serialised: one job at a time per pool.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private const int SpinIterations = 20_000;

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _wake;
    private readonly Lock _runLock = new();
    private IParallelJob? _job;
    private int _parts;
    private int _pending;      // parts not yet finished in the current run
    private long _generation;  // bumped per run; workers compare to see new work
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ThreadCount = threads;
        _wake = new SemaphoreSlim(0);
        _threads = new Thread[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker))
            {
                IsBackground = true,
                Name = $"cyllm-worker-{worker}",
            };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that execute parts, the caller included.</summary>
    public int ThreadCount { get; }

    private static WorkerPool? s_shared;

    /// <summary>A process-wide pool sized to the processor count.</summary>
    public static WorkerPool Shared
    {
        get
        {
            if (s_shared is null)
            {
                Interlocked.CompareExchange(ref s_shared, new WorkerPool(Environment.ProcessorCount), null);
            }

            return s_shared;
        }
    }

    /// <summary>Runs <paramref name="parts"/> parts of <paramref name="job"/> and returns when all finished.</summary>
    public void Run(IParallelJob job, int parts)
    {
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parts <= 0)
        {
            return;
        }

        if (parts == 1 || _threads.Length == 0)
        {
            for (int i = 0; i < parts; i++)
            {
                job.Execute(i, 0);
            }

            return;
        }

        lock (_runLock)
        {
            // Publication order: job fields first, then the generation, then the ticket counter
            // (an interlocked exchange, a full fence). A claim is valid only when its ticket carries
            // the current generation, so a worker still looping from the previous run can never run
            // a part of this one with stale fields or run a part twice.
            _job = job;
            _parts = parts;
            Volatile.Write(ref _pending, parts);
            long gen = Volatile.Read(ref _generation) + 1;
            Volatile.Write(ref _generation, gen);
            Interlocked.Exchange(ref _ticket, gen << 32);
            if (Volatile.Read(ref _sleeping) > 0 && _threads.Length > 0)
            {
                _wake.Release(_threads.Length);
            }

            Work(0);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            if (_failure is { } failure)
            {
                _failure = null;
                throw new AggregateException("a parallel job failed", failure);
            }
        }
    }

    private long _ticket;      // [generation:32 | next part:32]
    private int _sleeping;
    private Exception? _failure;

    private void Work(int worker)
    {
        while (true)
        {
            long t = Interlocked.Increment(ref _ticket) - 1;
            if ((t >> 32) != Volatile.Read(ref _generation))
            {
                return; // a ticket of a finished run
            }

            int part = (int)(t & 0xFFFF_FFFF);
            if (part >= _parts)
            {
                return;
            }

            var job = _job;
            Debug.Assert(job is not null);
            try
            {
                job!.Execute(part, worker);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        while (!_disposed)
        {
            long gen = Volatile.Read(ref _generation);
            if (gen == seen)
            {
                // Spin for a while (cheap wake-up between back-to-back matmuls), then sleep.
                int i = 0;
                while (i < SpinIterations && Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    Thread.SpinWait(8);
                    i++;
                }

                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    Interlocked.Increment(ref _sleeping);
                    if (Volatile.Read(ref _generation) == seen && !_disposed)
                    {
                        _wake.Wait(50);
                    }

                    Interlocked.Decrement(ref _sleeping);
                }

                continue;
            }

            seen = gen;
            Work(worker);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        if (_threads.Length > 0)
        {
            _wake.Release(_threads.Length);
        }
        foreach (var t in _threads)
        {
            t.Join();
        }

        _wake.Dispose();
    }
}
