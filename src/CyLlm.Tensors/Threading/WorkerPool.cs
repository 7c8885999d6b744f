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
    private long _current;     // [generation:32 | parts:32] of the latest published run
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
            // Publication order: job fields first, then [generation | parts], then the generation workers
            // poll, then the ticket counter (an interlocked exchange, a full fence). A claim is valid only
            // when its ticket carries the latest published run and a part below its count (see Work), so a
            // worker still looping from the previous run can never run a part of this one with stale fields
            // or run a part twice.
            _job = job;
            Volatile.Write(ref _pending, parts);
            long gen = Volatile.Read(ref _generation) + 1;
            Volatile.Write(ref _current, (gen << 32) | (uint)parts);
            Volatile.Write(ref _generation, gen);
            Interlocked.Exchange(ref _ticket, gen << 32);
            if (Volatile.Read(ref _sleeping) > 0 && _threads.Length > 0)
            {
                _wake.Release(_threads.Length);
            }

            Work(0, gen);
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

    /// <summary>
    /// Claims and runs parts until the run is exhausted. <paramref name="generation"/> is the run the caller
    /// has seen published. The generation is published just before the ticket counter is reset, so a worker
    /// that sees the new generation can still draw a ticket of the previous run: it must wait for the reset
    /// and draw again rather than leave, or it would sit out the whole run (a worker that gave up that way
    /// left the caller to do nearly all of the work alone). A ticket of a later run than the one seen is
    /// valid (its fields were published before its ticket) and is run.
    /// </summary>
    private void Work(int worker, long generation)
    {
        while (true)
        {
            long t = Interlocked.Increment(ref _ticket) - 1;
            if ((t >> 32) < generation)
            {
                // A stale ticket: the reset for this run is a few instructions away.
                while ((Volatile.Read(ref _ticket) >> 32) < generation)
                {
                    Thread.SpinWait(1);
                }

                continue;
            }

            // The run this ticket belongs to is still the latest only while its parts are not all claimed;
            // once a newer run is published, every part of this one was claimed and the ticket is spent.
            long current = Volatile.Read(ref _current);
            int part = (int)(t & 0xFFFF_FFFF);
            if ((current >> 32) != (t >> 32) || part >= (int)(current & 0xFFFF_FFFF))
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
            Work(worker, gen);
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
