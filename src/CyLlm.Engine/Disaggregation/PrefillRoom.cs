using System.Diagnostics;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The prefill (sending) side of one room as a pure state machine (no I/O, timestamps passed in). The room exists
/// from the moment the prefill worker got the request; it sends KV once both the decode side's Init arrived and the
/// prompt's KV is computed, at most the tokens the decode side granted, then waits for Resume. Not thread-safe.
/// </summary>
public sealed class PrefillRoom : TransferRoom
{
    private int _lastResumeAt = -1;

    public PrefillRoom(RoomId room, int kvTokens, long now)
        : base(room, kvTokens, now)
    {
    }

    /// <summary>Whether the prompt's KV is computed.</summary>
    public bool KvReady { get; private set; }

    /// <summary>Tokens the decode side granted (Init plus Resumes).</summary>
    public int Granted { get; private set; }

    /// <summary>Tokens handed to the transport so far (a prefix of the prompt; never sent twice).</summary>
    public int Sent { get; private set; }

    /// <summary>Init(kvTokens, allocatedTokens) from the decode side. False when ignored (a repeat) or rejected (room failed).</summary>
    public bool OnInit(int kvTokens, int allocatedTokens, long now)
    {
        if (State != RoomState.Bootstrapping)
        {
            DuplicatesIgnored++;
            return false;
        }

        if (kvTokens != KvTokens || allocatedTokens < 0 || (allocatedTokens == 0 && KvTokens > 0))
        {
            Fail(TransferFailure.ProtocolMismatch, now);
            return false;
        }

        Granted = allocatedTokens;
        Move(RoomState.WaitingForInput, now);
        return true;
    }

    public void OnKvReady(long now)
    {
        if (!IsTerminal && !KvReady)
        {
            KvReady = true;
            LastProgress = now;
        }
    }

    /// <summary>Resume(sentTokens, allocatedTokens): the decode side received <paramref name="sentTokens"/> and granted more.
    /// Ignored (false, counted) unless it answers the chunk just sent and was not seen before.</summary>
    public bool OnResume(int sentTokens, int allocatedTokens, long now)
    {
        if (State != RoomState.Transferring || sentTokens != Sent || sentTokens <= _lastResumeAt || Sent != Granted)
        {
            DuplicatesIgnored++;
            return false;
        }

        if (allocatedTokens <= 0)
        {
            Fail(TransferFailure.ProtocolMismatch, now);
            return false;
        }

        _lastResumeAt = sentTokens;
        Granted += allocatedTokens;
        Resumes++;
        LastProgress = now;
        return true;
    }

    /// <summary>
    /// The next chunk to send, committed at once (the transport sends it before anything else happens to the room):
    /// positions [start, start+count), at most <paramref name="maxTokens"/>, within the grant. False when nothing is due.
    /// </summary>
    public bool TryNextChunk(int maxTokens, long now, out int start, out int count, out bool last)
    {
        Debug.Assert(maxTokens > 0);
        start = Sent;
        count = Math.Min(Math.Min(KvTokens, Granted) - Sent, maxTokens);
        bool due = KvReady && State is RoomState.WaitingForInput or RoomState.Transferring
            && (count > 0 || (KvTokens == 0 && State == RoomState.WaitingForInput));
        if (!due || !KvReady)
        {
            count = 0;
            last = false;
            return false;
        }

        Sent += count;
        Chunks++;
        last = Sent == KvTokens;
        LastProgress = now;
        if (last)
        {
            Move(RoomState.Success, now);
        }
        else if (Sent == Granted && State == RoomState.WaitingForInput)
        {
            Move(RoomState.Transferring, now);
        }

        return true;
    }
}
