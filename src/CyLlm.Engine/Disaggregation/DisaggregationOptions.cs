namespace CyLlm.Engine.Disaggregation;

/// <summary>Timeouts and sizing of KV transfer between prefill and decode workers.</summary>
public sealed record DisaggregationOptions
{
    /// <summary>
    /// The workers' shared secret: every KV and registry connection starts with a mutual HMAC challenge over it
    /// (<see cref="KvConnection.AuthenticateAsync"/>). Empty: the links accept anyone who can connect — only for one
    /// trusted host or network segment.
    /// </summary>
    public ReadOnlyMemory<byte> SharedSecret { get; init; }

    /// <summary>Registry side: the most rooms registered at once (a full registry refuses new rooms).</summary>
    public int MaxRegisteredRooms { get; init; } = 1 << 16;

    /// <summary>Between heartbeats on every peer connection.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A peer silent for more than this many intervals is dead: all its rooms fail.</summary>
    public int MissedHeartbeats { get; init; } = 5;

    /// <summary>A room that does not start (no Init, no registered prefill peer) within this fails.</summary>
    public TimeSpan BootstrapTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A started room with no progress (chunk, Resume) within this fails: a lost message.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed peer is failed fast without trying it.</summary>
    public TimeSpan FailedPeerMemory { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Decode side: the most tokens allocated per Init/Resume (rounded up to whole blocks, and only what is free).</summary>
    public int AllocationTokens { get; init; } = 4096;

    /// <summary>Prefill side: the most tokens in one chunk frame (a round larger than this is sent as several frames).</summary>
    public int MaxChunkTokens { get; init; } = 1024;

    /// <summary>Decode side: on a failed transfer, generate co-located (prefill locally) instead of returning the error.</summary>
    public bool FallbackToColocated { get; init; }

    /// <summary>How often the decode side polls the registry while the room is not registered yet.</summary>
    public TimeSpan LookupRetry { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Test fault injection: send every Init and Resume twice (the peer must ignore the copy).</summary>
    public bool DuplicateControlMessages { get; init; }

    /// <summary>Test fault injection (prefill side): after this many chunks of a room, send nothing more (keep beating) — a stall mid-transfer.</summary>
    public int StallAfterChunks { get; init; } = int.MaxValue;
}
