namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Liveness of peers from their heartbeats, pure (timestamps passed in): a peer is dead once more than
/// <c>missedLimit</c> beat intervals passed since anything was heard from it. Time this process itself was stalled
/// (checks more than two intervals apart: a loaded machine, a long GC) is not held against peers — their beats may be
/// sitting unread in our socket buffers. Thread-safe.
/// </summary>
public sealed class HeartbeatMonitor<TPeer>(long intervalTicks, int missedLimit)
    where TPeer : notnull
{
    private readonly Dictionary<TPeer, long> _lastHeard = [];
    private readonly Lock _gate = new();
    private long _lastCheck = long.MinValue;

    public long IntervalTicks { get; } = intervalTicks;

    public int MissedLimit { get; } = missedLimit;

    /// <summary>Records a beat (or any frame) from <paramref name="peer"/>; starts tracking it.</summary>
    public void Heard(TPeer peer, long now)
    {
        lock (_gate)
        {
            _lastHeard[peer] = now;
        }
    }

    public void Forget(TPeer peer)
    {
        lock (_gate)
        {
            _lastHeard.Remove(peer);
        }
    }

    /// <summary>Peers silent for more than the limit; they are forgotten (reported once).</summary>
    public List<TPeer> TakeDead(long now)
    {
        var dead = new List<TPeer>();
        lock (_gate)
        {
            long gap = _lastCheck == long.MinValue ? 0 : now - _lastCheck;
            _lastCheck = now;
            if (gap > 2 * IntervalTicks)
            {
                long stalled = gap - IntervalTicks;
                foreach (var p in _lastHeard.Keys.ToList())
                {
                    _lastHeard[p] = Math.Min(now, _lastHeard[p] + stalled); // credit our own stall to every peer
                }
            }

            foreach (var (p, t) in _lastHeard)
            {
                if (now - t > IntervalTicks * MissedLimit)
                {
                    dead.Add(p);
                }
            }

            foreach (var p in dead)
            {
                _lastHeard.Remove(p);
            }
        }

        return dead;
    }
}
