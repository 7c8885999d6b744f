using System.Diagnostics;

namespace CyLlm.Gateway.RateLimits;

/// <summary>
/// The in-process sliding log: each bucket keeps its entries (time in Unix ms, cost, id) in time order plus their
/// running total. Exact — the window is the last <see cref="Window"/> to the millisecond, no approximation.
/// One lock guards all buckets so a multi-bucket admission is atomic; the critical section is a few list
/// operations (expired entries are dropped as they are met, so each bucket holds at most one window of entries).
/// </summary>
public sealed class InMemoryRateLimitStore : IRateLimitStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _windowMs;
    private long _lastSweepMs;

    public InMemoryRateLimitStore(TimeProvider time, TimeSpan window)
    {
        Debug.Assert(window > TimeSpan.Zero, "window must be positive");
        _time = time;
        Window = window;
        _windowMs = (long)window.TotalMilliseconds;
    }

    public TimeSpan Window { get; }

    /// <summary>Buckets currently held (tests check that idle ones are dropped).</summary>
    internal int BucketCount
    {
        get
        {
            lock (_gate)
            {
                return _buckets.Count;
            }
        }
    }

    public ValueTask<RateLimitDecision> AcquireAsync(IReadOnlyList<RateLimitBucket> buckets, string entryId, CancellationToken cancellationToken = default)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var states = new RateLimitBucketState[buckets.Count];
        lock (_gate)
        {
            SweepIdle(now);
            bool admitted = true;
            for (int i = 0; i < buckets.Count; i++)
            {
                var b = Get(buckets[i].Key, now);
                long retry = b.RetryAfterMs(buckets[i].Limit, buckets[i].Cost, now, _windowMs);
                admitted &= retry == 0;
                states[i] = new RateLimitBucketState(buckets[i].Limit, b.Total, b.ResetMs(now, _windowMs), ToSpan(retry));
            }

            if (admitted)
            {
                for (int i = 0; i < buckets.Count; i++)
                {
                    if (buckets[i].Cost == 0)
                    {
                        continue;
                    }

                    var b = _buckets[buckets[i].Key];
                    b.Add(now, buckets[i].Cost, entryId);
                    states[i] = states[i] with { Used = b.Total, Reset = b.ResetMs(now, _windowMs) };
                }
            }

            return ValueTask.FromResult(new RateLimitDecision(admitted, states));
        }
    }

    public ValueTask AdjustAsync(string bucketKey, string entryId, long cost, CancellationToken cancellationToken = default)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (_buckets.TryGetValue(bucketKey, out var b))
            {
                b.Expire(now, _windowMs);
                b.Replace(entryId, cost);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Bucket Get(string key, long now)
    {
        if (!_buckets.TryGetValue(key, out var b))
        {
            b = new Bucket();
            _buckets[key] = b;
        }

        b.Expire(now, _windowMs);
        return b;
    }

    /// <summary>Once a window, drops buckets whose entries all expired (keys and tenants come and go).</summary>
    private void SweepIdle(long now)
    {
        if (now - _lastSweepMs < _windowMs)
        {
            return;
        }

        _lastSweepMs = now;
        List<string>? idle = null;
        foreach (var (key, b) in _buckets)
        {
            b.Expire(now, _windowMs);
            if (b.Count == 0)
            {
                (idle ??= []).Add(key);
            }
        }

        if (idle is not null)
        {
            foreach (string key in idle)
            {
                _buckets.Remove(key);
            }
        }
    }

    internal static TimeSpan ToSpan(long ms) => ms == long.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(ms);

    /// <summary>Entries of one bucket, oldest first, with their total. A list with a moving head: expired entries
    /// advance <see cref="_head"/>; the list is compacted when half of it is dead.</summary>
    private sealed class Bucket
    {
        private readonly List<Entry> _entries = [];
        private int _head;

        public long Total { get; private set; }

        public int Count => _entries.Count - _head;

        public void Add(long now, long cost, string id)
        {
            _entries.Add(new Entry(now, cost, id));
            Total += cost;
        }

        /// <summary>Drops entries whose time + window is at or before now.</summary>
        public void Expire(long now, long windowMs)
        {
            while (_head < _entries.Count && _entries[_head].AtMs + windowMs <= now)
            {
                Total -= _entries[_head].Cost;
                _head++;
            }

            if (_head > 32 && _head * 2 > _entries.Count)
            {
                _entries.RemoveRange(0, _head);
                _head = 0;
            }
        }

        public void Replace(string id, long cost)
        {
            for (int i = _head; i < _entries.Count; i++)
            {
                if (string.Equals(_entries[i].Id, id, StringComparison.Ordinal))
                {
                    Total += cost - _entries[i].Cost;
                    _entries[i] = _entries[i] with { Cost = cost };
                    return;
                }
            }
        }

        /// <summary>0 when <paramref name="cost"/> fits now; otherwise ms until enough old entries expire
        /// (long.MaxValue when the cost exceeds the limit itself).</summary>
        public long RetryAfterMs(long limit, long cost, long now, long windowMs)
        {
            if (limit <= 0 || Total + cost <= limit)
            {
                return 0;
            }

            if (cost > limit)
            {
                return long.MaxValue;
            }

            long used = Total;
            for (int i = _head; i < _entries.Count; i++)
            {
                used -= _entries[i].Cost;
                if (used + cost <= limit)
                {
                    return Math.Max(1, _entries[i].AtMs + windowMs - now);
                }
            }

            return windowMs;
        }

        public TimeSpan ResetMs(long now, long windowMs) =>
            Count == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(0, _entries[^1].AtMs + windowMs - now));
    }

    /// <param name="AtMs">Admission time, Unix milliseconds.</param>
    /// <param name="Cost">Requests (1) or tokens.</param>
    private readonly record struct Entry(long AtMs, long Cost, string Id);
}
