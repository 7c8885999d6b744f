using System.Collections.Concurrent;
using System.Net.Sockets;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The decode worker's side of disaggregated serving: looks the room up in the bootstrap registry, connects to the
/// prefill worker (RegisterBuffers once per connection), allocates destination blocks, sends Init, writes the chunks
/// it receives straight into its KV pool, grants more blocks with Resume until the last chunk, then decodes from the
/// imported prefix. State per room is a <see cref="DecodeRoom"/>; on any failure the blocks are freed and the caller
/// gets a <see cref="KvTransferException"/> (or co-located generation when configured).
/// </summary>
public sealed partial class DecodeClient : IAsyncDisposable
{
    private readonly ServingEngine _engine;
    private readonly IBootstrapRegistry _registry;
    private readonly DisaggregationOptions _options;
    private readonly TimeProvider _time;
    private readonly ulong _nodeId;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<RoomId, Entry> _rooms = new();
    private readonly ConcurrentDictionary<KvEndpoint, Task<KvPeer>> _peers = new();
    private readonly HeartbeatMonitor<KvPeer> _heartbeats;
    private readonly FailedPeers _failedPeers;
    private readonly ITimer _timer;

    public DecodeClient(ServingEngine engine, IBootstrapRegistry registry, DisaggregationOptions? options = null, TimeProvider? time = null, ulong nodeId = 0)
    {
        _engine = engine;
        _registry = registry;
        _options = options ?? new DisaggregationOptions();
        _time = time ?? TimeProvider.System;
        _nodeId = nodeId != 0 ? nodeId : (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        _heartbeats = new HeartbeatMonitor<KvPeer>(_time.Ticks(_options.HeartbeatInterval), _options.MissedHeartbeats);
        _failedPeers = new FailedPeers(_time.Ticks(_options.FailedPeerMemory));
        Metrics = new DisaggregationMetrics("decode");
        _timer = _time.CreateTimer(_ => Tick(), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
    }

    public DisaggregationMetrics Metrics { get; }

    /// <summary>Rooms with transfer state now (removed on Success, Failed and abort).</summary>
    public int ActiveRooms => _rooms.Count;

    public ServingEngine Engine => _engine;

    /// <summary>
    /// Receives the KV of <paramref name="request"/>'s prompt for <paramref name="room"/> from its prefill worker, then
    /// starts decoding. Throws <see cref="KvTransferException"/> when the transfer fails (unless falling back).
    /// </summary>
    public async Task<ServingHandle> GenerateAsync(RoomId room, ServingRequest request, CancellationToken cancellationToken = default)
    {
        // Refuse a request the engine would refuse anyway before any transfer (max_tokens past the context, a prompt
        // larger than the KV pool): nothing is reserved and the prefill worker's KV is not waited for.
        _engine.CheckRequest(request);
        int kvTokens = request.PromptTokens.Length - 1;
        var entry = new Entry(new DecodeRoom(room, kvTokens, _time.GetTimestamp()), _time.GetTimestamp());
        if (!_rooms.TryAdd(room, entry))
        {
            throw new ArgumentException($"{room} is already in use on this decode worker");
        }

        using (cancellationToken.Register(() => Fail(entry, TransferFailure.Cancelled, "the client cancelled", notifyPeer: true)))
        {
            try
            {
                await StartAsync(entry, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or OperationCanceledException or ObjectDisposedException)
            {
                Fail(entry, cancellationToken.IsCancellationRequested ? TransferFailure.Cancelled : TransferFailure.PeerDisconnected, ex.Message, notifyPeer: true);
            }

            await entry.Done.Task;
        }

        var blocks = Close(entry);
        if (entry.Machine.State == RoomState.Success)
        {
            return _engine.SubmitImported(request, blocks, kvTokens, cancellationToken);
        }

        if (blocks.Length > 0)
        {
            await _engine.ReleaseKvBlocksAsync(blocks);
        }

        if (_options.FallbackToColocated && entry.Machine.Failure != TransferFailure.Cancelled)
        {
            return _engine.Submit(request, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new KvTransferException(room, entry.Machine.Failure, entry.FailureMessage ?? "the transfer failed");
    }

    private async Task StartAsync(Entry entry, CancellationToken ct)
    {
        var room = entry.Machine.Room;
        KvEndpoint? endpoint;
        while ((endpoint = await _registry.LookupAsync(room, ct)) is null)
        {
            bool timedOut;
            lock (entry)
            {
                if (entry.Machine.IsTerminal)
                {
                    return; // cancelled: already failed and signalled
                }

                timedOut = entry.Machine.CheckTimeouts(_time.GetTimestamp(), _time.Ticks(_options.BootstrapTimeout), long.MaxValue);
                if (timedOut)
                {
                    entry.FailureMessage = $"no prefill worker registered {room} within {_options.BootstrapTimeout.TotalSeconds:0.###} s";
                }
            }

            if (timedOut)
            {
                Metrics.Failure(TransferFailure.BootstrapTimeout);
                entry.Done.TrySetResult();
                return;
            }

            await Task.Delay(_options.LookupRetry, _time, ct);
        }

        var ep = endpoint!.Value;
        if (_failedPeers.IsFailed(ep, _time.GetTimestamp()))
        {
            Fail(entry, TransferFailure.PeerKnownFailed, $"the prefill worker {ep} failed recently", notifyPeer: false);
            return;
        }

        KvPeer peer;
        try
        {
            peer = await GetPeerAsync(ep, ct);
        }
        catch (IOException ex) when (ex.InnerException is TimeoutException)
        {
            _failedPeers.Remember(ep, _time.GetTimestamp());
            Fail(entry, TransferFailure.HeartbeatTimeout, $"the prefill worker {ep} is silent: {ex.Message}", notifyPeer: false);
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException)
        {
            _failedPeers.Remember(ep, _time.GetTimestamp());
            Fail(entry, TransferFailure.PeerDisconnected, $"cannot reach the prefill worker {ep}: {ex.Message}", notifyPeer: false);
            return;
        }

        lock (entry)
        {
            entry.Peer = peer;
        }

        var blocks = await AllocateAsync(entry, Math.Min(entry.Machine.KvTokens, _options.AllocationTokens));
        if (blocks is null)
        {
            return;
        }

        int tokens = blocks.Length * _engine.BlockTokens;
        bool started;
        lock (entry)
        {
            started = entry.Machine.Start(tokens, _time.GetTimestamp());
        }

        if (started)
        {
            var init = new InitMessage(entry.Machine.Room, entry.Machine.KvTokens, tokens, ToIds(blocks));
            await peer.Connection.SendAsync(init, _stop.Token);
            if (_options.DuplicateControlMessages)
            {
                await peer.Connection.SendAsync(init, _stop.Token);
            }
        }
    }

    /// <summary>
    /// Reserves blocks for up to <paramref name="tokens"/> more positions (whole blocks; only what is free, waiting while
    /// nothing is). The blocks join the room's list under its lock, so a failure in between frees them. Null if the room ended.
    /// </summary>
    private async Task<BlockId[]?> AllocateAsync(Entry entry, int tokens)
    {
        int bt = _engine.BlockTokens;
        int want = Math.Max(0, (tokens + bt - 1) / bt);
        long t0 = _time.GetTimestamp();
        while (true)
        {
            var got = want == 0 ? [] : await _engine.ReserveKvBlocksAsync(want);
            bool closed;
            lock (entry)
            {
                closed = entry.Closed || entry.Machine.IsTerminal;
                if (!closed)
                {
                    entry.Blocks.AddRange(got);
                }
            }

            if (closed)
            {
                if (got.Length > 0)
                {
                    await _engine.ReleaseKvBlocksAsync(got);
                }

                return null;
            }

            if (got.Length > 0 || want == 0)
            {
                Metrics.AllocationLatency.Record(_time.GetElapsedTime(t0).TotalSeconds, new KeyValuePair<string, object?>("role", "decode"));
                return got;
            }

            // The pool is full: wait for running sequences to free blocks (the transfer timeout bounds this).
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time);
        }
    }

    private async Task<KvPeer> GetPeerAsync(KvEndpoint ep, CancellationToken ct)
    {
        while (true)
        {
            var task = _peers.GetOrAdd(ep, e => ConnectAsync(e));
            try
            {
                var peer = await task.WaitAsync(ct);
                if (!peer.Connection.IsDisposed)
                {
                    return peer;
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                _peers.TryRemove(new KeyValuePair<KvEndpoint, Task<KvPeer>>(ep, task));
                throw;
            }

            _peers.TryRemove(new KeyValuePair<KvEndpoint, Task<KvPeer>>(ep, task));
        }
    }

    private async Task<KvPeer> ConnectAsync(KvEndpoint ep)
    {
        // A peer that does not answer the handshake within the heartbeat limit is a silent (hung) peer.
        var connection = await KvConnection.ConnectAsync(ep, _options.SharedSecret, _stop.Token, _options.HeartbeatInterval * _options.MissedHeartbeats);
        var peer = new KvPeer(connection, ep);
        await connection.SendAsync(new RegisterBuffersMessage(_nodeId, _engine.KvLayout, _engine.TotalBlocks), _stop.Token);
        _heartbeats.Heard(peer, _time.GetTimestamp());
        _ = Task.Run(() => ServePeer(peer));
        return peer;
    }

    private void Fail(Entry entry, TransferFailure reason, string message, bool notifyPeer)
    {
        KvPeer? peer;
        lock (entry)
        {
            if (!entry.Machine.Fail(reason, _time.GetTimestamp()))
            {
                return;
            }

            entry.FailureMessage = message;
            peer = entry.Peer;
        }

        Metrics.Failure(reason);
        if (notifyPeer && peer is not null)
        {
            _ = SendQuietly(peer, new AbortMessage(entry.Machine.Room, reason, message));
        }

        entry.Done.TrySetResult();
    }

    /// <summary>Removes the room's transfer state; returns its blocks (the caller frees them or hands them to the engine).</summary>
    private BlockId[] Close(Entry entry)
    {
        _rooms.TryRemove(new KeyValuePair<RoomId, Entry>(entry.Machine.Room, entry));
        lock (entry)
        {
            entry.Closed = true;
            var blocks = entry.Blocks.ToArray();
            entry.Blocks.Clear();
            return blocks;
        }
    }

    private static int[] ToIds(BlockId[] blocks)
    {
        var ids = new int[blocks.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = blocks[i].Value;
        }

        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _timer.DisposeAsync();
        foreach (var e in _rooms.Values)
        {
            Fail(e, TransferFailure.Cancelled, "the decode worker is shutting down", notifyPeer: true);
        }

        foreach (var t in _peers.Values)
        {
            if (t.IsCompletedSuccessfully)
            {
                t.Result.Connection.Dispose();
            }
        }

        Metrics.Dispose();
        _stop.Dispose();
    }

    /// <summary>Transfer state of one room (guarded by locking the entry).</summary>
    private sealed class Entry(DecodeRoom machine, long started)
    {
        public DecodeRoom Machine { get; } = machine;

        public long Started { get; } = started;

        public KvPeer? Peer { get; set; }

        /// <summary>Destination blocks in token order (Init's, then each Resume's).</summary>
        public List<BlockId> Blocks { get; } = [];

        /// <summary>Set when the room's blocks were handed over or freed: late allocations free themselves.</summary>
        public bool Closed { get; set; }

        public long Bytes { get; set; }

        /// <summary>When the first chunk arrived (transfer latency counts from here).</summary>
        public long FirstChunk { get; set; }

        public string? FailureMessage { get; set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
