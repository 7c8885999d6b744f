namespace CyLlm.Engine.Disaggregation;

/// <summary>Why a room failed (metrics label <c>reason</c>, and the Abort message's reason byte: values frozen).</summary>
public enum TransferFailure : byte
{
    None = 0,

    /// <summary>The room never started: no Init (prefill) or no registered prefill peer (decode) in time.</summary>
    BootstrapTimeout = 1,

    /// <summary>The peer missed more heartbeats than the limit.</summary>
    HeartbeatTimeout = 2,

    /// <summary>The connection to the peer closed or broke.</summary>
    PeerDisconnected = 3,

    /// <summary>The peer failed recently and is failed fast without trying it.</summary>
    PeerKnownFailed = 4,

    /// <summary>No progress (chunk or Resume) within the transfer timeout: a lost message.</summary>
    TransferTimeout = 5,

    /// <summary>The peer aborted the room.</summary>
    AbortedByPeer = 6,

    /// <summary>The two sides disagree (prompt length, KV layout, block ids): a bug or a misconfiguration.</summary>
    ProtocolMismatch = 7,

    /// <summary>The local engine failed (prefill error, out of KV blocks).</summary>
    EngineError = 8,

    /// <summary>The client cancelled.</summary>
    Cancelled = 9,

    /// <summary>The prefill side does not know the room (it never got the request, or already finished it).</summary>
    UnknownRoom = 10,
}
