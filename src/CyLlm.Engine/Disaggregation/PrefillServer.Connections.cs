using System.Net;
using System.Net.Sockets;

namespace CyLlm.Engine.Disaggregation;

public sealed partial class PrefillServer
{
    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => AcceptPeer(socket));
        }
    }

    /// <summary>A connection becomes a peer (heartbeats, rooms) only after it proved the shared secret.</summary>
    private async Task AcceptPeer(Socket socket)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var connection = new KvConnection(socket);
        try
        {
            await connection.AuthenticateAsync(_options.SharedSecret, initiator: false, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            Metrics.RejectedConnection();
            connection.Dispose();
            return;
        }

        var peer = new KvPeer(connection, new KvEndpoint(remote?.Address.ToString() ?? "?", remote?.Port ?? 0));
        _peers[peer] = 0;
        _heartbeats.Heard(peer, _time.GetTimestamp());
        await ServePeer(peer);
    }

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
                    if (!await Handle(peer, frame))
                    {
                        reason = TransferFailure.ProtocolMismatch;
                        break;
                    }
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

    /// <summary>Handles one frame; false closes the connection (the peer is incompatible).</summary>
    private async Task<bool> Handle(KvPeer peer, KvFrame frame)
    {
        long now = _time.GetTimestamp();
        switch (frame.Type)
        {
            case KvMessageType.Heartbeat:
                return true;
            case KvMessageType.RegisterBuffers:
                {
                    var m = RegisterBuffersMessage.Parse(frame.Payload);
                    if (m.Layout != _engine.KvLayout)
                    {
                        await SendQuietly(peer, new AbortMessage(default, TransferFailure.ProtocolMismatch, $"KV layout {m.Layout} differs from this worker's {_engine.KvLayout}"));
                        return false;
                    }

                    peer.NodeId = m.NodeId;
                    peer.Registered = true;
                    return true;
                }

            case KvMessageType.Init:
                {
                    var m = InitMessage.Parse(frame.Payload);
                    if (!peer.Registered)
                    {
                        await SendQuietly(peer, new AbortMessage(m.Room, TransferFailure.ProtocolMismatch, "Init before RegisterBuffers"));
                        return false;
                    }

                    if (!_rooms.TryGetValue(m.Room, out var entry))
                    {
                        Metrics.Duplicate("init");
                        await SendQuietly(peer, new AbortMessage(m.Room, TransferFailure.UnknownRoom, $"{m.Room} is not prefilling here"));
                        return true;
                    }

                    bool accepted;
                    string? error = null;
                    lock (entry)
                    {
                        if (entry.Peer is not null && entry.Peer != peer)
                        {
                            accepted = false; // a second decode worker claims the room: ignored like a repeat
                            entry.Machine.OnInit(-1, 0, now); // counts the duplicate without changing state (the room is past Bootstrapping)
                        }
                        else if (m.AllocatedTokens != m.Blocks.Length * _engine.BlockTokens)
                        {
                            accepted = false;
                            error = $"Init grants {m.AllocatedTokens} tokens in {m.Blocks.Length} blocks of {_engine.BlockTokens}";
                        }
                        else
                        {
                            accepted = entry.Machine.OnInit(m.KvTokens, m.AllocatedTokens, now);
                            if (accepted)
                            {
                                entry.Peer = peer;
                                entry.Destination.AddRange(m.Blocks);
                            }
                            else if (entry.Machine.State == RoomState.Failed)
                            {
                                error = $"Init expects {m.KvTokens} KV positions, the prompt has {entry.Machine.KvTokens}";
                            }
                        }
                    }

                    if (error is not null)
                    {
                        entry.Peer ??= peer;
                        Fail(entry, TransferFailure.ProtocolMismatch, error, notifyPeer: true);
                    }
                    else if (!accepted)
                    {
                        Metrics.Duplicate("init");
                    }
                    else
                    {
                        _ = PumpAsync(entry);
                    }

                    return true;
                }

            case KvMessageType.Resume:
                {
                    var m = ResumeMessage.Parse(frame.Payload);
                    if (!_rooms.TryGetValue(m.Room, out var entry))
                    {
                        Metrics.Duplicate("resume");
                        return true;
                    }

                    bool accepted = false;
                    lock (entry)
                    {
                        if (entry.Peer == peer && m.AllocatedTokens == m.Blocks.Length * _engine.BlockTokens)
                        {
                            accepted = entry.Machine.OnResume(m.SentTokens, m.AllocatedTokens, now);
                            if (accepted)
                            {
                                entry.Destination.AddRange(m.Blocks);
                            }
                        }
                    }

                    if (accepted)
                    {
                        _ = PumpAsync(entry);
                    }
                    else if (entry.Machine.State == RoomState.Failed)
                    {
                        Fail(entry, TransferFailure.ProtocolMismatch, "an invalid Resume", notifyPeer: true);
                    }
                    else
                    {
                        Metrics.Duplicate("resume");
                    }

                    return true;
                }

            case KvMessageType.Abort:
                {
                    var m = AbortMessage.Parse(frame.Payload);
                    if (_rooms.TryGetValue(m.Room, out var entry) && entry.Peer == peer)
                    {
                        Fail(entry, TransferFailure.AbortedByPeer, $"the decode worker aborted: {m.Reason}: {m.Message}", notifyPeer: false);
                    }

                    return true;
                }

            default:
                throw new KvProtocolException($"unexpected {frame.Type} frame from a decode peer");
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
        foreach (var p in _peers.Keys)
        {
            _ = BeatQuietly(p);
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
                // A room whose KV is still being computed is not stuck: its clock starts when the KV is ready.
                failed = (e.Export is not null || e.Machine.State == RoomState.Bootstrapping) && e.Machine.CheckTimeouts(now, bootstrap, transfer);
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

                Finish(e);
            }
        }
    }

    /// <summary>A peer is gone (closed, broken, silent): every room with it fails and its blocks are freed.</summary>
    private void PeerDown(KvPeer peer, TransferFailure reason)
    {
        if (!_peers.TryRemove(peer, out _))
        {
            return;
        }

        _heartbeats.Forget(peer);
        foreach (var e in _rooms.Values)
        {
            if (e.Peer == peer)
            {
                Fail(e, reason, $"the decode worker {peer.Endpoint} is gone ({reason})", notifyPeer: false);
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
