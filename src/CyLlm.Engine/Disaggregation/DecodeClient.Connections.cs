using System.Net.Sockets;
using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Disaggregation;

public sealed partial class DecodeClient
{
    private async Task ServePeer(KvPeer peer)
    {
        var reason = TransferFailure.PeerDisconnected;
        try
        {
            while (await peer.Connection.ReceiveAsync(_stop.Token) is { } frame)
            {
                _heartbeats.Heard(peer, _time.GetTimestamp());
                try
                {
                    Handle(peer, frame);
                }
                finally
                {
                    KvConnection.Return(frame);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            reason = ex is KvProtocolException ? TransferFailure.ProtocolMismatch : TransferFailure.PeerDisconnected;
        }
        catch (Exception)
        {
            // Anything else a frame caused is a defect or hostile input: the peer is dropped and its rooms fail now
            // (ProtocolMismatch) instead of the reader dying silently and leaving them to their timeouts.
            reason = TransferFailure.ProtocolMismatch;
        }
        finally
        {
            PeerDown(peer, reason);
        }
    }

    private void Handle(KvPeer peer, KvFrame frame)
    {
        switch (frame.Type)
        {
            case KvMessageType.Heartbeat:
                return;
            case KvMessageType.Chunk:
                OnChunk(peer, frame.Payload, frame.HeaderTimestamp);
                return;
            case KvMessageType.Abort:
                {
                    var m = AbortMessage.Parse(frame.Payload);
                    if (m.Room == default)
                    {
                        throw new KvProtocolException($"the prefill worker refused this worker: {m.Reason}: {m.Message}");
                    }

                    if (_rooms.TryGetValue(m.Room, out var entry) && entry.Peer == peer)
                    {
                        Fail(entry, m.Reason == TransferFailure.UnknownRoom ? TransferFailure.UnknownRoom : TransferFailure.AbortedByPeer,
                            $"the prefill worker aborted: {m.Reason}: {m.Message}", notifyPeer: false);
                    }

                    return;
                }

            default:
                throw new KvProtocolException($"unexpected {frame.Type} frame from a prefill peer");
        }
    }

    private void OnChunk(KvPeer peer, ReadOnlySpan<byte> payload, long headerTimestamp)
    {
        var h = ChunkHeader.Parse(payload, out int kvOffset);
        int bt = _engine.BlockTokens;
        int blockBytes = _engine.KvLayout.BlockBytes;
        if (!_rooms.TryGetValue(h.Room, out var entry) || entry.Peer != peer)
        {
            Metrics.Duplicate("chunk"); // the room is over (or not this peer's): nothing to write
            return;
        }

        var kv = payload[kvOffset..];
        ChunkVerdict verdict;
        string? error = null;
        lock (entry)
        {
            if (entry.Closed)
            {
                verdict = ChunkVerdict.Duplicate;
            }
            else if (kv.Length != (long)h.Blocks.Length * blockBytes || h.Start % bt != 0 || !BlocksMatch(entry.Blocks, h, bt))
            {
                verdict = ChunkVerdict.Rejected;
                error = $"chunk [{h.Start}, {h.Start + h.Count}) names blocks or carries bytes unlike this room's allocation";
            }
            else
            {
                verdict = entry.Machine.OnChunk(h.Start, h.Count, h.Last, _time.GetTimestamp());
                if (verdict is ChunkVerdict.Accepted or ChunkVerdict.NeedMore or ChunkVerdict.Completed)
                {
                    int first = h.Start / bt;
                    for (int i = 0; i < h.Blocks.Length; i++)
                    {
                        _engine.WriteKvBlock(entry.Blocks[first + i], kv.Slice(i * blockBytes, blockBytes));
                    }

                    entry.Bytes += kv.Length;
                    if (entry.FirstChunk == 0)
                    {
                        entry.FirstChunk = headerTimestamp; // Stopwatch time the first chunk began to arrive
                    }
                }
                else if (verdict == ChunkVerdict.Rejected)
                {
                    error = $"chunk [{h.Start}, {h.Start + h.Count}) is outside the {entry.Machine.Allocated} granted tokens of {entry.Machine.KvTokens}";
                }
            }
        }

        switch (verdict)
        {
            case ChunkVerdict.Duplicate:
                Metrics.Duplicate("chunk");
                break;
            case ChunkVerdict.Rejected:
                Fail(entry, TransferFailure.ProtocolMismatch, error!, notifyPeer: true);
                break;
            case ChunkVerdict.Completed:
                Metrics.Success(System.Diagnostics.Stopwatch.GetElapsedTime(entry.FirstChunk).TotalSeconds, entry.Bytes, entry.Machine.Chunks, entry.Machine.Resumes);
                entry.Done.TrySetResult();
                break;
            case ChunkVerdict.NeedMore:
                _ = ResumeAsync(entry, peer);
                break;
        }
    }

    /// <summary>The header's destination ids must be this room's blocks, in order, from the chunk's first block on.</summary>
    private static bool BlocksMatch(List<BlockId> mine, ChunkHeader h, int blockTokens)
    {
        int first = h.Start / blockTokens;
        if (first + h.Blocks.Length > mine.Count || h.Blocks.Length != (h.Count == 0 ? 0 : ((h.Start + h.Count + blockTokens - 1) / blockTokens) - first))
        {
            return false;
        }

        for (int i = 0; i < h.Blocks.Length; i++)
        {
            if (mine[first + i].Value != h.Blocks[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A chunk filled the allocation: allocate the next part and grant it with Resume.</summary>
    private async Task ResumeAsync(Entry entry, KvPeer peer)
    {
        try
        {
            int remaining = entry.Machine.KvTokens - entry.Machine.Received;
            var blocks = await AllocateAsync(entry, Math.Min(remaining, _options.AllocationTokens));
            if (blocks is null)
            {
                return;
            }

            int tokens = blocks.Length * _engine.BlockTokens;
            int sent;
            bool granted;
            lock (entry)
            {
                sent = entry.Machine.Received;
                granted = entry.Machine.OnAllocated(tokens, _time.GetTimestamp());
            }

            if (!granted)
            {
                return; // the room failed meanwhile: Close frees the blocks
            }

            var resume = new ResumeMessage(entry.Machine.Room, sent, tokens, ToIds(blocks));
            await peer.Connection.SendAsync(resume, _stop.Token);
            if (_options.DuplicateControlMessages)
            {
                await peer.Connection.SendAsync(resume, _stop.Token);
            }
        }
        catch (Exception ex) when (KvPeer.IsGone(ex))
        {
            PeerDown(peer, TransferFailure.PeerDisconnected);
        }
    }

    /// <summary>Heartbeat timer: beat every peer, fail the silent ones, time out rooms that stopped moving.</summary>
    private void Tick()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        long now = _time.GetTimestamp();
        foreach (var t in _peers.Values)
        {
            if (t.IsCompletedSuccessfully)
            {
                _ = BeatQuietly(t.Result);
            }
        }

        foreach (var dead in _heartbeats.TakeDead(now))
        {
            PeerDown(dead, TransferFailure.HeartbeatTimeout);
        }

        long bootstrap = _time.Ticks(_options.BootstrapTimeout);
        long transfer = _time.Ticks(_options.TransferTimeout);
        foreach (var e in _rooms.Values)
        {
            bool failed;
            lock (e)
            {
                failed = e.Machine.CheckTimeouts(now, bootstrap, transfer);
                if (failed)
                {
                    e.FailureMessage = $"no progress within the {(e.Machine.Failure == TransferFailure.BootstrapTimeout ? "bootstrap" : "transfer")} timeout";
                }
            }

            if (failed)
            {
                Metrics.Failure(e.Machine.Failure);
                if (e.Peer is { } peer)
                {
                    _ = SendQuietly(peer, new AbortMessage(e.Machine.Room, e.Machine.Failure, e.FailureMessage!));
                }

                e.Done.TrySetResult();
            }
        }
    }

    /// <summary>A prefill peer is gone: it is remembered as failed and every room with it fails.</summary>
    private void PeerDown(KvPeer peer, TransferFailure reason)
    {
        if (!peer.MarkDown())
        {
            return; // already down (e.g. the reader noticing the connection the heartbeat check closed)
        }

        if (_peers.TryGetValue(peer.Endpoint, out var t) && t.IsCompletedSuccessfully && t.Result == peer)
        {
            _peers.TryRemove(new KeyValuePair<KvEndpoint, Task<KvPeer>>(peer.Endpoint, t));
        }

        _heartbeats.Forget(peer);
        if (!_stop.IsCancellationRequested)
        {
            _failedPeers.Remember(peer.Endpoint, _time.GetTimestamp());
        }

        foreach (var e in _rooms.Values)
        {
            if (e.Peer == peer)
            {
                Fail(e, reason, $"the prefill worker {peer.Endpoint} is gone ({reason})", notifyPeer: false);
            }
        }

        peer.Connection.Dispose();
    }

    private async Task BeatQuietly(KvPeer peer)
    {
        if (!await peer.TryBeatAsync(_stop.Token))
        {
            PeerDown(peer, TransferFailure.PeerDisconnected);
        }
    }

    private Task SendQuietly(KvPeer peer, AbortMessage m) => peer.TrySendAsync(m, _stop.Token);
}
