using CyLlm.Engine.Scheduling;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// One caller at a time on a synchronous engine (a single-stream session): callers wait asynchronously for the slot
/// (FIFO, cancellable, no thread blocked while waiting), and a bounded number may wait — one more is refused at once
/// with <see cref="ServerOverloadedException"/> (a 503). Shared by the single-stream generation gate and the
/// embedding gate.
/// </summary>
public sealed class SingleSlot
{
    private readonly SemaphoreSlim _slot = new(1, 1);
    private int _waiting;

    /// <summary>Callers waiting for the slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Takes a waiting place, or throws <see cref="ServerOverloadedException"/> when <paramref name="maxWaiting"/> are taken.</summary>
    public void Enter(int maxWaiting, string what)
    {
        if (Interlocked.Increment(ref _waiting) > maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            throw new ServerOverloadedException($"the server is overloaded: {maxWaiting} {what} are already waiting; retry later");
        }
    }

    /// <summary>Waits for the slot after <see cref="Enter"/>; false when <paramref name="cancellationToken"/> fired first
    /// (the waiting place is given back either way). After true, the caller must <see cref="Release"/>.</summary>
    public async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _slot.WaitAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Release() => _slot.Release();

    /// <summary>Runs the slot holder's work on a dedicated thread: the engine blocks its caller for the whole call, and
    /// a pool thread blocked that long would starve the HTTP side.</summary>
    public static Task<T> RunDedicated<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
