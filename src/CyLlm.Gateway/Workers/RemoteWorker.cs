namespace CyLlm.Gateway.Workers;

/// <summary>
/// One remote engine worker as the gateway sees it: up or down, requests in flight from this gateway, and what its last
/// heartbeat reported. The heartbeat state machine: every answered poll resets the misses and brings a down worker
/// back up; <see cref="WorkerSettings.MissedHeartbeats"/> consecutive failed polls — or one failed connection of a
/// request (<see cref="MarkDown"/>) — mark it down, which cancels <see cref="DownToken"/> so its in-flight requests fail
/// over at once. Thread-safe.
/// </summary>
public sealed class RemoteWorker
{
    private readonly object _gate = new();
    private CancellationTokenSource _down = new();
    private int _inFlight;
    private int _misses;
    private bool _up = true; // optimistic until the first poll: a refused connection fails over at once anyway
    private DateTimeOffset? _lastHeartbeat;
    private string? _lastError;
    private WorkerStatusReport? _report;

    public RemoteWorker(string url, int index)
    {
        Url = url;
        Index = index;
        Salt = PrefixAffinity.SaltOf(url);
    }

    public string Url { get; }

    /// <summary>Position in the pool (metric order, tests).</summary>
    public int Index { get; }

    /// <summary>The worker's rendezvous-hash salt.</summary>
    public ulong Salt { get; }

    public bool IsUp
    {
        get
        {
            lock (_gate)
            {
                return _up;
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The last heartbeat's report; null before the first answer.</summary>
    public WorkerStatusReport? Report
    {
        get
        {
            lock (_gate)
            {
                return _report;
            }
        }
    }

    /// <summary>In-flight requests from this gateway plus the worker's own running and waiting ones at its last heartbeat.</summary>
    public int Load
    {
        get
        {
            var r = Report;
            return InFlight + (r is null ? 0 : r.Running + r.Waiting);
        }
    }

    /// <summary>Cancelled when the worker is marked down (a fresh token each time it comes back up).</summary>
    public CancellationToken DownToken
    {
        get
        {
            lock (_gate)
            {
                return _down.Token;
            }
        }
    }

    /// <summary>Counts a request in flight until the returned lease is disposed.</summary>
    public Lease Acquire()
    {
        Interlocked.Increment(ref _inFlight);
        return new Lease(this);
    }

    /// <summary>An answered heartbeat: misses reset, the report kept; true when this brought a down worker back up.</summary>
    public bool RecordSuccess(WorkerStatusReport report, DateTimeOffset now)
    {
        lock (_gate)
        {
            _report = report;
            _lastHeartbeat = now;
            _misses = 0;
            _lastError = null;
            if (_up)
            {
                return false;
            }

            _up = true;
            // Not disposed: requests that failed over may still hold its (cancelled) token.
            _down = new CancellationTokenSource();
            return true;
        }
    }

    /// <summary>A failed heartbeat; true when it was the <paramref name="threshold"/>-th in a row and marked the worker down.</summary>
    public bool RecordMiss(string reason, int threshold)
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            _misses++;
            _lastError = reason;
            if (_up && _misses >= threshold)
            {
                _up = false;
                cancel = _down;
            }
        }

        // Outside the lock: cancelling runs the in-flight requests' callbacks.
        cancel?.Cancel();
        return cancel is not null;
    }

    /// <summary>A request found the worker dead (connection refused or reset): down at once, until a heartbeat answers.
    /// True when this call marked it down.</summary>
    public bool MarkDown(string reason)
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            _lastError = reason;
            if (_up)
            {
                _up = false;
                cancel = _down;
            }
        }

        cancel?.Cancel();
        return cancel is not null;
    }

    public WorkerStatus Snapshot()
    {
        lock (_gate)
        {
            return new WorkerStatus
            {
                Url = Url,
                State = _up ? "up" : "down",
                InFlight = InFlight,
                Queue = _report is null ? 0 : _report.Running + _report.Waiting,
                LastHeartbeat = _lastHeartbeat,
                ConsecutiveMisses = _misses,
                LastError = _lastError,
                Adapters = _report?.Adapters ?? [],
            };
        }
    }

    /// <summary>One request on the worker; disposing it releases the load.</summary>
    public readonly struct Lease(RemoteWorker worker) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref worker._inFlight);
    }
}
