using System.Diagnostics;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// What both sides of a room share: its id and size, the forward-only state with its failure reason, the counters
/// the metrics and property tests read, and the timeouts. <see cref="PrefillRoom"/> and <see cref="DecodeRoom"/> add
/// each side's message handling. Pure (timestamps are passed in, in ticks of the caller's TimeProvider).
/// </summary>
public abstract class TransferRoom
{
    protected TransferRoom(RoomId room, int kvTokens, long now)
    {
        Debug.Assert(kvTokens >= 0);
        ArgumentOutOfRangeException.ThrowIfNegative(kvTokens);
        Room = room;
        KvTokens = kvTokens;
        LastProgress = now;
    }

    public RoomId Room { get; }

    /// <summary>KV positions to transfer (all prompt tokens but the last, which the decode side computes itself).</summary>
    public int KvTokens { get; }

    public RoomState State { get; private set; }

    public TransferFailure Failure { get; private set; }

    public int Chunks { get; protected set; }

    public int Resumes { get; protected set; }

    public int DuplicatesIgnored { get; protected set; }

    /// <summary>Times a terminal state was entered (the property tests check it is never more than one).</summary>
    public int TerminalTransitions { get; private set; }

    /// <summary>Timestamp of the last state change or accepted message (timeouts count from it).</summary>
    public long LastProgress { get; protected set; }

    public bool IsTerminal => State is RoomState.Success or RoomState.Failed;

    /// <summary>Fails the room unless it already ended. Returns whether it moved.</summary>
    public bool Fail(TransferFailure reason, long now)
    {
        Debug.Assert(reason != TransferFailure.None);
        if (IsTerminal)
        {
            return false;
        }

        Failure = reason;
        Move(RoomState.Failed, now);
        return true;
    }

    /// <summary>Fails a room that has not started within <paramref name="bootstrapTimeout"/> or made no progress within <paramref name="transferTimeout"/> (ticks).</summary>
    public bool CheckTimeouts(long now, long bootstrapTimeout, long transferTimeout)
    {
        if (State == RoomState.Bootstrapping && now - LastProgress >= bootstrapTimeout)
        {
            return Fail(TransferFailure.BootstrapTimeout, now);
        }

        if (State is RoomState.WaitingForInput or RoomState.Transferring && now - LastProgress >= transferTimeout)
        {
            return Fail(TransferFailure.TransferTimeout, now);
        }

        return false;
    }

    /// <summary>States only move forward; every move counts as progress.</summary>
    protected void Move(RoomState to, long now)
    {
        Debug.Assert(to >= State && !IsTerminal, $"{Room}: {State} -> {to} moves backwards");
        State = to;
        LastProgress = now;
        if (IsTerminal)
        {
            TerminalTransitions++;
        }
    }
}
