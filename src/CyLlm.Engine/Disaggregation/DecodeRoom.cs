using System.Diagnostics;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The decode (receiving) side of one room as a pure state machine: no I/O, no clock (callers pass timestamps in
/// ticks of their <see cref="TimeProvider"/>), so the property tests drive it with arbitrary message orders.
/// Not thread-safe: the transport holds a lock per room. Token counts are KV positions: the decode side receives
/// the KV of the first <see cref="KvTokens"/> prompt tokens (all but the last, which it computes itself).
/// </summary>
public sealed class DecodeRoom : TransferRoom
{
    public DecodeRoom(RoomId room, int kvTokens, long now)
        : base(room, kvTokens, now)
    {
    }

    /// <summary>Tokens of destination blocks granted to the prefill side so far (whole blocks).</summary>
    public int Allocated { get; private set; }

    /// <summary>Tokens received and written, a prefix of the prompt.</summary>
    public int Received { get; private set; }

    /// <summary>The peer is known and the first destination blocks are allocated: send Init. False if not bootstrapping.</summary>
    public bool Start(int allocatedTokens, long now)
    {
        if (State != RoomState.Bootstrapping)
        {
            return false;
        }

        Debug.Assert(allocatedTokens > 0 || KvTokens == 0);
        Allocated = allocatedTokens;
        Move(RoomState.WaitingForInput, now);
        return true;
    }

    /// <summary>A chunk of KV positions [start, start+count) arrived; <paramref name="last"/> marks the final one.</summary>
    public ChunkVerdict OnChunk(int start, int count, bool last, long now)
    {
        if (IsTerminal || State == RoomState.Bootstrapping || start < Received || (start == Received && count == 0 && !last))
        {
            DuplicatesIgnored++;
            return ChunkVerdict.Duplicate;
        }

        if (start > Received || count < 0 || start + count > Allocated || start + count > KvTokens
            || (last && start + count != KvTokens) || (!last && start + count == KvTokens))
        {
            Fail(TransferFailure.ProtocolMismatch, now);
            return ChunkVerdict.Rejected;
        }

        Received += count;
        Chunks++;
        LastProgress = now;
        if (last)
        {
            Move(RoomState.Success, now);
            return ChunkVerdict.Completed;
        }

        if (Received == Allocated)
        {
            Move(RoomState.Transferring, now);
            return ChunkVerdict.NeedMore;
        }

        return ChunkVerdict.Accepted;
    }

    /// <summary>More destination blocks were allocated after a <see cref="ChunkVerdict.NeedMore"/>: send Resume(Received, tokens).</summary>
    public bool OnAllocated(int tokens, long now)
    {
        if (State != RoomState.Transferring || Received != Allocated || tokens <= 0)
        {
            return false;
        }

        Allocated += tokens;
        Resumes++;
        LastProgress = now;
        return true;
    }
}
