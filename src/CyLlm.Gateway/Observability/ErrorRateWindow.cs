namespace CyLlm.Gateway.Observability;

/// <summary>
/// Requests and server errors over a sliding window, in one-second buckets (a ring of window-seconds entries):
/// <see cref="Record"/> is O(1) and lock-free enough for the request path (one lock, two increments).
/// </summary>
public sealed class ErrorRateWindow(TimeSpan window)
{
    private readonly object _gate = new();
    // Per second: the Unix second it holds, requests, errors.
    private readonly (long Second, long Requests, long Errors)[] _ring = new (long, long, long)[Math.Max(1, (int)window.TotalSeconds)];

    public void Record(DateTimeOffset now, bool error)
    {
        long s = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            ref var slot = ref _ring[(int)(s % _ring.Length)];
            if (slot.Second != s)
            {
                slot = (s, 0, 0);
            }

            slot.Requests++;
            if (error)
            {
                slot.Errors++;
            }
        }
    }

    /// <summary>Errors / requests over the window ending at <paramref name="now"/>; 0 with no requests.
    /// <paramref name="requests"/> lets callers ignore a rate from too few requests.</summary>
    public double Rate(DateTimeOffset now, out long requests)
    {
        long s = now.ToUnixTimeSeconds();
        long req = 0, err = 0;
        lock (_gate)
        {
            foreach (var slot in _ring)
            {
                if (slot.Second > s - _ring.Length && slot.Second <= s)
                {
                    req += slot.Requests;
                    err += slot.Errors;
                }
            }
        }

        requests = req;
        return req == 0 ? 0 : (double)err / req;
    }
}
