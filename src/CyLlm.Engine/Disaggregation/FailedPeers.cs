namespace CyLlm.Engine.Disaggregation;

/// <summary>Peers that failed recently, remembered for a while so new rooms with them fail fast. Pure, thread-safe.</summary>
public sealed class FailedPeers(long rememberTicks)
{
    private readonly Dictionary<KvEndpoint, long> _failedAt = [];
    private readonly Lock _gate = new();

    public void Remember(KvEndpoint peer, long now)
    {
        lock (_gate)
        {
            _failedAt[peer] = now;
        }
    }

    public bool IsFailed(KvEndpoint peer, long now)
    {
        lock (_gate)
        {
            if (!_failedAt.TryGetValue(peer, out long t))
            {
                return false;
            }

            if (now - t < rememberTicks)
            {
                return true;
            }

            _failedAt.Remove(peer);
            return false;
        }
    }
}
