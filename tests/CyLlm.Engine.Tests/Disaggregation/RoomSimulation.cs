using CyLlm.Engine.Disaggregation;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>
/// Drives pairs of <see cref="DecodeRoom"/> / <see cref="PrefillRoom"/> machines through a simulated network the test
/// controls: messages can be delivered in any order, dropped or duplicated, time jumps, peers die. Mirrors what the
/// TCP shells do with each verdict (send Init, pump chunks, allocate and Resume, Abort on failure).
/// </summary>
internal sealed class RoomSimulation
{
    public const int BlockTokens = 16;
    public const long BootstrapTimeout = 100;
    public const long TransferTimeout = 60;

    private readonly Random _rng;
    private readonly int _allocationTokens;
    private readonly int _maxChunkTokens;

    public RoomSimulation(int seed, int[] kvTokens, int allocationBlocks, int maxChunkTokens)
    {
        _rng = new Random(seed);
        _allocationTokens = allocationBlocks * BlockTokens;
        _maxChunkTokens = maxChunkTokens;
        Decode = kvTokens.Select((k, i) => new DecodeRoom(new RoomId((ulong)i + 1), k, 0)).ToArray();
        Prefill = kvTokens.Select((k, i) => new PrefillRoom(new RoomId((ulong)i + 1), k, 0)).ToArray();
        PendingAllocation = new bool[kvTokens.Length];
        PumpDue = new bool[kvTokens.Length];
        History = kvTokens.Select(_ => new List<(RoomState Decode, RoomState Prefill)>()).ToArray();
        WrittenTokens = new int[kvTokens.Length];
    }

    public DecodeRoom[] Decode { get; }

    public PrefillRoom[] Prefill { get; }

    /// <summary>In flight: each list is one direction of one room, in send order.</summary>
    public List<Message> Network { get; } = [];

    public bool[] PendingAllocation { get; }

    /// <summary>The prefill side has a reason to send (Init, Resume, KV ready) but has not pumped yet.</summary>
    public bool[] PumpDue { get; }

    public List<(RoomState Decode, RoomState Prefill)>[] History { get; }

    /// <summary>Tokens the decode side wrote (accepted chunks), per room: never more than the prompt's KV.</summary>
    public int[] WrittenTokens { get; }

    public long Now { get; private set; }

    public int DuplicatesInjected { get; private set; }

    public enum Kind
    {
        Init,
        Resume,
        Chunk,
        AbortToPrefill,
        AbortToDecode,
    }

    public sealed record Message(int Room, Kind Kind, int A, int B, bool Last);

    /// <summary>One random step; <paramref name="faults"/> allows loss, reordering, time jumps and peer deaths.</summary>
    public void Step(bool faults)
    {
        int action = _rng.Next(faults ? 10 : 7);
        int room = _rng.Next(Decode.Length);
        switch (action)
        {
            case 0:
            case 1:
                DeliverOne(reorder: faults);
                break;
            case 2:
                if (!Prefill[room].KvReady)
                {
                    Prefill[room].OnKvReady(Now);
                    PumpDue[room] = true;
                }

                break;
            case 3:
                Bootstrap(room);
                break;
            case 4:
                Allocate(room);
                break;
            case 5:
                Duplicate();
                break;
            case 6:
                // The shell pumps asynchronously: other frames (a repeated Resume) can be handled before it runs.
                if (PumpDue[room])
                {
                    PumpDue[room] = false;
                    Pump(room);
                }

                break;
            case 7:
                if (Network.Count > 0)
                {
                    Network.RemoveAt(_rng.Next(Network.Count)); // lost
                }

                break;
            case 8:
                Advance(_rng.Next(1, 40));
                break;
            case 9:
                if (_rng.Next(10) == 0)
                {
                    // Heartbeats missed: both sides fail every room with the peer (here: this room's pair).
                    Decode[room].Fail(TransferFailure.HeartbeatTimeout, Now);
                    Prefill[room].Fail(TransferFailure.HeartbeatTimeout, Now);
                }

                break;
        }

        Record();
    }

    /// <summary>Runs every enabled event without faults until nothing is left, then lets all timeouts expire.</summary>
    public void Quiesce()
    {
        for (int round = 0; round < 3; round++)
        {
            bool progress = true;
            while (progress)
            {
                progress = false;
                for (int r = 0; r < Decode.Length; r++)
                {
                    if (!Prefill[r].KvReady && !Prefill[r].IsTerminal)
                    {
                        Prefill[r].OnKvReady(Now);
                        PumpDue[r] = true;
                        progress = true;
                    }

                    if (PumpDue[r])
                    {
                        PumpDue[r] = false;
                        Pump(r);
                        progress = true;
                    }

                    if (Decode[r].State == RoomState.Bootstrapping)
                    {
                        Bootstrap(r);
                        progress = true;
                    }

                    if (PendingAllocation[r])
                    {
                        Allocate(r);
                        progress = true;
                    }
                }

                while (Network.Count > 0)
                {
                    DeliverOne(reorder: false);
                    progress = true;
                }

                Record();
            }

            Advance(BootstrapTimeout + TransferTimeout + 1);
            Record();
        }
    }

    private void Record()
    {
        for (int r = 0; r < Decode.Length; r++)
        {
            History[r].Add((Decode[r].State, Prefill[r].State));
        }
    }

    private void Advance(long ticks)
    {
        Now += ticks;
        for (int r = 0; r < Decode.Length; r++)
        {
            if (Decode[r].CheckTimeouts(Now, BootstrapTimeout, TransferTimeout))
            {
                Send(new Message(r, Kind.AbortToPrefill, 0, 0, false));
            }

            // As the shell: a prefill room's transfer clock runs once its KV is ready.
            if ((Prefill[r].KvReady || Prefill[r].State == RoomState.Bootstrapping) && Prefill[r].CheckTimeouts(Now, BootstrapTimeout, TransferTimeout))
            {
                Send(new Message(r, Kind.AbortToDecode, 0, 0, false));
            }
        }
    }

    private void Bootstrap(int r)
    {
        var d = Decode[r];
        if (d.State != RoomState.Bootstrapping)
        {
            return;
        }

        int tokens = Grant(d.KvTokens);
        if (d.Start(tokens, Now))
        {
            Send(new Message(r, Kind.Init, d.KvTokens, tokens, false));
        }
    }

    private void Allocate(int r)
    {
        if (!PendingAllocation[r])
        {
            return;
        }

        PendingAllocation[r] = false;
        var d = Decode[r];
        int tokens = Grant(d.KvTokens - d.Received);
        int sent = d.Received;
        if (d.OnAllocated(tokens, Now))
        {
            Send(new Message(r, Kind.Resume, sent, tokens, false));
        }
    }

    /// <summary>Whole blocks for up to the allocation size (what the decode shell reserves).</summary>
    private int Grant(int remaining) =>
        Math.Max(1, (Math.Min(remaining, _allocationTokens) + BlockTokens - 1) / BlockTokens) * BlockTokens;

    private void Pump(int r)
    {
        while (Prefill[r].TryNextChunk(_maxChunkTokens, Now, out int start, out int count, out bool last))
        {
            Send(new Message(r, Kind.Chunk, start, count, last));
        }
    }

    private void Send(Message m) => Network.Add(m);

    private void Duplicate()
    {
        if (Network.Count == 0)
        {
            return;
        }

        int i = _rng.Next(Network.Count);
        // The copy goes anywhere after the original (a resend can never overtake what it copies).
        Network.Insert(_rng.Next(i + 1, Network.Count + 1), Network[i]);
        DuplicatesInjected++;
    }

    private void DeliverOne(bool reorder)
    {
        if (Network.Count == 0)
        {
            return;
        }

        // Without faults each room's direction is FIFO (TCP), but rooms and directions interleave freely.
        int i;
        if (reorder)
        {
            i = _rng.Next(Network.Count);
        }
        else
        {
            var pick = Network[_rng.Next(Network.Count)];
            bool toPrefill = pick.Kind is Kind.Init or Kind.Resume or Kind.AbortToPrefill;
            i = Network.FindIndex(m => m.Room == pick.Room && (m.Kind is Kind.Init or Kind.Resume or Kind.AbortToPrefill) == toPrefill);
        }

        var msg = Network[i];
        Network.RemoveAt(i);
        int r = msg.Room;
        switch (msg.Kind)
        {
            case Kind.Init:
                if (Prefill[r].OnInit(msg.A, msg.B, Now))
                {
                    PumpDue[r] = true;
                }
                else if (Prefill[r].State == RoomState.Failed)
                {
                    Send(new Message(r, Kind.AbortToDecode, 0, 0, false));
                }

                break;
            case Kind.Resume:
                if (Prefill[r].OnResume(msg.A, msg.B, Now))
                {
                    PumpDue[r] = true;
                }

                break;
            case Kind.Chunk:
                var verdict = Decode[r].OnChunk(msg.A, msg.B, msg.Last, Now);
                if (verdict is ChunkVerdict.Accepted or ChunkVerdict.NeedMore or ChunkVerdict.Completed)
                {
                    WrittenTokens[r] += msg.B;
                }

                if (verdict == ChunkVerdict.NeedMore)
                {
                    PendingAllocation[r] = true;
                }
                else if (verdict == ChunkVerdict.Rejected)
                {
                    Send(new Message(r, Kind.AbortToPrefill, 0, 0, false));
                }

                break;
            case Kind.AbortToPrefill:
                Prefill[r].Fail(TransferFailure.AbortedByPeer, Now);
                break;
            case Kind.AbortToDecode:
                Decode[r].Fail(TransferFailure.AbortedByPeer, Now);
                break;
        }
    }
}
