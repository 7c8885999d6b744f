using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The prefill worker's side of disaggregated serving: listens for decode peers, registers each room with the
/// bootstrap registry, computes the prompt's KV with the serving engine and streams it into the destination blocks the
/// decode side grants (Init, then Resume after each full grant). State per room is a <see cref="PrefillRoom"/>; this
/// class only moves bytes, keeps heartbeats and enforces timeouts.
/// </summary>
public sealed partial class PrefillServer : IAsyncDisposable
{
    private readonly ServingEngine _engine;
    private readonly IBootstrapRegistry _registry;
    private readonly DisaggregationOptions _options;
    private readonly TimeProvider _time;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<RoomId, Entry> _rooms = new();
    private readonly ConcurrentDictionary<KvPeer, byte> _peers = new();
    private readonly HeartbeatMonitor<KvPeer> _heartbeats;
    private readonly ITimer _timer;
    private readonly Task _accept;

    public PrefillServer(ServingEngine engine, IBootstrapRegistry registry, DisaggregationOptions? options = null,
        IPEndPoint? listen = null, string? advertiseHost = null, TimeProvider? time = null)
    {
        _engine = engine;
        _registry = registry;
        _options = options ?? new DisaggregationOptions();
        _time = time ?? TimeProvider.System;
        _heartbeats = new HeartbeatMonitor<KvPeer>(_time.Ticks(_options.HeartbeatInterval), _options.MissedHeartbeats);
        _listener = new TcpListener(listen ?? new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
        var bound = (IPEndPoint)_listener.LocalEndpoint;
        Endpoint = new KvEndpoint(advertiseHost ?? bound.Address.ToString(), bound.Port);
        Metrics = new DisaggregationMetrics("prefill");
        _timer = _time.CreateTimer(_ => Tick(), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
        _accept = Task.Run(AcceptLoop);
    }

    /// <summary>The KV address registered for rooms.</summary>
    public KvEndpoint Endpoint { get; }

    public DisaggregationMetrics Metrics { get; }

    /// <summary>Rooms with transfer state now (removed on Success, Failed and abort).</summary>
    public int ActiveRooms => _rooms.Count;

    public ServingEngine Engine => _engine;

    /// <summary>
    /// Prefills <paramref name="request"/> for <paramref name="room"/> and transfers its KV to the decode worker that
    /// claims the room. Completes when the last chunk is sent; throws <see cref="KvTransferException"/> when the room fails.
    /// </summary>
    public async Task PrefillAsync(RoomId room, ServingRequest request, CancellationToken cancellationToken = default)
    {
        if (request.PromptTokens.Length == 0)
        {
            throw new ArgumentException("the prompt is empty");
        }

        var entry = new Entry(new PrefillRoom(room, request.PromptTokens.Length - 1, _time.GetTimestamp()), _time.GetTimestamp());
        if (!_rooms.TryAdd(room, entry))
        {
            throw new ArgumentException($"{room} is already in use on this prefill worker");
        }

        using var reg = cancellationToken.Register(() => Fail(entry, TransferFailure.Cancelled, "the client cancelled", notifyPeer: true));
        try
        {
            await _registry.RegisterAsync(room, Endpoint, cancellationToken);
            var export = await _engine.PrefillForExportAsync(request, cancellationToken);
            bool keep;
            lock (entry)
            {
                keep = !entry.Machine.IsTerminal;
                if (keep)
                {
                    entry.Export = export;
                    entry.Machine.OnKvReady(_time.GetTimestamp());
                }
            }

            if (!keep)
            {
                await export.ReleaseAsync();
            }
            else
            {
                await PumpAsync(entry);
            }
        }
        catch (Exception ex) when (ex is not KvTransferException)
        {
            Fail(entry, cancellationToken.IsCancellationRequested ? TransferFailure.Cancelled : TransferFailure.EngineError, ex.Message, notifyPeer: true);
        }

        var state = await entry.Done.Task;
        if (state != RoomState.Success)
        {
            throw new KvTransferException(room, entry.Machine.Failure, entry.FailureMessage ?? "the transfer failed");
        }
    }

    /// <summary>Sends every chunk now due for the room, one sender at a time (chunks leave in order).</summary>
    private async Task PumpAsync(Entry entry)
    {
        int bt = _engine.BlockTokens;
        int blockBytes = _engine.KvLayout.BlockBytes;
        await entry.SendGate.WaitAsync();
        try
        {
            while (true)
            {
                ChunkHeader header;
                BlockId[] source;
                KvPeer peer;
                bool last;
                lock (entry)
                {
                    if (entry.Peer is null || entry.Export is null || entry.Machine.Chunks >= _options.StallAfterChunks
                        || !entry.Machine.TryNextChunk(_options.MaxChunkTokens, _time.GetTimestamp(), out int start, out int count, out last))
                    {
                        return;
                    }

                    peer = entry.Peer;
                    int first = start / bt;
                    int blocks = count == 0 ? 0 : ((start + count + bt - 1) / bt) - first;
                    var dest = new int[blocks];
                    source = new BlockId[blocks];
                    for (int i = 0; i < blocks; i++)
                    {
                        dest[i] = entry.Destination[first + i];
                        source[i] = entry.Export.Blocks[first + i];
                    }

                    header = new ChunkHeader(entry.Machine.Room, start, count, last, dest);
                }

                if (entry.FirstChunk == 0)
                {
                    entry.FirstChunk = _time.GetTimestamp();
                }

                try
                {
                    await peer.Connection.SendChunkAsync(header, blockBytes, (i, span) => _engine.ReadKvBlock(source[i], span), _stop.Token);
                    entry.Bytes += (long)source.Length * blockBytes; // KV bytes, as the decode side counts them
                }
                catch (Exception ex) when (KvPeer.IsGone(ex))
                {
                    PeerDown(peer, TransferFailure.PeerDisconnected);
                    return;
                }

                if (last)
                {
                    Finish(entry);
                    return;
                }
            }
        }
        finally
        {
            entry.SendGate.Release();
        }
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

        Finish(entry);
    }

    /// <summary>Drops the room's transfer state and KV once it is terminal.</summary>
    private void Finish(Entry entry)
    {
        var room = entry.Machine.Room;
        if (!_rooms.TryRemove(new KeyValuePair<RoomId, Entry>(room, entry)))
        {
            return;
        }

        KvExport? export;
        lock (entry)
        {
            export = entry.Export;
            entry.Export = null;
        }

        if (entry.Machine.State == RoomState.Success)
        {
            double seconds = _time.GetElapsedTime(entry.FirstChunk == 0 ? entry.Started : entry.FirstChunk).TotalSeconds;
            Metrics.Success(seconds, entry.Bytes, entry.Machine.Chunks, entry.Machine.Resumes);
        }

        _ = Task.Run(async () =>
        {
            if (export is not null)
            {
                await export.ReleaseAsync();
            }

            try
            {
                await _registry.UnregisterAsync(room, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or ObjectDisposedException)
            {
                // The registry is gone: entries there are advisory.
            }

            entry.Done.TrySetResult(entry.Machine.State);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _timer.DisposeAsync();
        foreach (var p in _peers.Keys)
        {
            PeerDown(p, TransferFailure.PeerDisconnected);
        }

        foreach (var e in _rooms.Values)
        {
            Fail(e, TransferFailure.Cancelled, "the prefill worker is shutting down", notifyPeer: false);
        }

        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Metrics.Dispose();
        _stop.Dispose();
    }

    /// <summary>Transfer state of one room (guarded by locking the entry).</summary>
    private sealed class Entry(PrefillRoom machine, long started)
    {
        public PrefillRoom Machine { get; } = machine;

        public long Started { get; } = started;

        public KvExport? Export { get; set; }

        public KvPeer? Peer { get; set; }

        /// <summary>Destination block ids granted by Init and Resumes, in token order.</summary>
        public List<int> Destination { get; } = [];

        public long Bytes { get; set; }

        /// <summary>When the first chunk left (transfer latency counts from here, not from the prefill compute).</summary>
        public long FirstChunk { get; set; }

        public string? FailureMessage { get; set; }

        public SemaphoreSlim SendGate { get; } = new(1, 1);

        public TaskCompletionSource<RoomState> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
