namespace CyLlm.Engine.Disaggregation;

/// <summary>One live connection to a peer worker, and what is known about it. Identity is the object (one per connection).</summary>
public sealed class KvPeer(KvConnection connection, KvEndpoint endpoint)
{
    private ulong _beats;
    private int _down;

    public KvConnection Connection { get; } = connection;

    /// <summary>The address dialled (decode side) or the remote address (prefill side).</summary>
    public KvEndpoint Endpoint { get; } = endpoint;

    /// <summary>The decode node's id from RegisterBuffers (prefill side).</summary>
    public ulong NodeId { get; set; }

    public bool Registered { get; set; }

    public ulong NextBeat() => Interlocked.Increment(ref _beats);

    /// <summary>Marks the peer gone; true only for the first caller (whose reason the rooms get).</summary>
    public bool MarkDown() => Interlocked.Exchange(ref _down, 1) == 0;

    /// <summary>Whether a send or receive failed because the peer (or this side's stop) closed the connection.</summary>
    public static bool IsGone(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>Sends the next heartbeat; false when the peer is gone (the caller marks it down).</summary>
    public async Task<bool> TryBeatAsync(CancellationToken ct)
    {
        try
        {
            await Connection.SendHeartbeatAsync(NextBeat(), ct);
            return true;
        }
        catch (Exception ex) when (IsGone(ex))
        {
            return false;
        }
    }

    /// <summary>Sends an Abort; to a peer that is gone it is dropped (its reader notices the closed connection).</summary>
    public async Task TrySendAsync(AbortMessage m, CancellationToken ct)
    {
        try
        {
            await Connection.SendAsync(m, ct);
        }
        catch (Exception ex) when (IsGone(ex))
        {
        }
    }
}
