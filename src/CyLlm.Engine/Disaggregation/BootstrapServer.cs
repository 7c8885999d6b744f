using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The bootstrap registry over TCP (same framing as the KV protocol): BootstrapRegister / BootstrapUnregister store,
/// BootstrapLookup is answered with a BootstrapReply. The router (gateway) or a test hosts it.
/// <para>
/// Every connection proves the workers' shared secret first (<see cref="KvConnection.AuthenticateAsync"/>). A room
/// belongs to the connection that registered it: another connection can neither overwrite nor unregister it, and the
/// rooms of a connection that closes are removed with it. At most <see cref="DisaggregationOptions.MaxRegisteredRooms"/>
/// rooms are held; registrations beyond that are refused (the decode side then times out on its lookup).
/// </para>
/// </summary>
public sealed class BootstrapServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly InMemoryBootstrapRegistry _registry = new();
    private readonly ConcurrentDictionary<RoomId, long> _owners = new();
    private readonly DisaggregationOptions _options;
    private readonly Task _accept;
    private long _nextConnection;
    private long _rejected;
    private long _refusedRooms;

    public BootstrapServer(IPAddress address, int port, DisaggregationOptions? options = null)
    {
        _options = options ?? new DisaggregationOptions();
        _listener = new TcpListener(address, port);
        _listener.Start();
        Endpoint = new KvEndpoint(address.ToString(), ((IPEndPoint)_listener.LocalEndpoint).Port);
        _accept = Task.Run(AcceptLoop);
    }

    public KvEndpoint Endpoint { get; }

    /// <summary>The rooms registered now (in-process view for the router).</summary>
    public IBootstrapRegistry Registry => _registry;

    /// <summary>Rooms registered now.</summary>
    public int RoomCount => _registry.Count;

    /// <summary>Connections dropped because they did not prove the shared secret (or spoke before the handshake).</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>Registrations refused: the registry was full, or the room belongs to another connection.</summary>
    public long RefusedRegistrations => Interlocked.Read(ref _refusedRooms);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => Serve(new KvConnection(s)));
        }
    }

    private async Task Serve(KvConnection c)
    {
        long id = Interlocked.Increment(ref _nextConnection);
        using (c)
        {
            try
            {
                try
                {
                    await c.AuthenticateAsync(_options.SharedSecret, initiator: false, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or OperationCanceledException)
                {
                    Interlocked.Increment(ref _rejected);
                    return;
                }

                while (await c.ReceiveAsync(_stop.Token) is { } frame)
                {
                    BootstrapMessage m;
                    try
                    {
                        m = BootstrapMessage.Parse(frame.Payload);
                    }
                    finally
                    {
                        KvConnection.Return(frame);
                    }

                    switch (frame.Type)
                    {
                        case KvMessageType.BootstrapRegister:
                            await RegisterAsync(id, m);
                            break;
                        case KvMessageType.BootstrapUnregister:
                            if (_owners.TryGetValue(m.Room, out long owner) && owner == id)
                            {
                                await _registry.UnregisterAsync(m.Room, _stop.Token);
                                _owners.TryRemove(new KeyValuePair<RoomId, long>(m.Room, id));
                            }

                            break;
                        case KvMessageType.BootstrapLookup:
                            var e = await _registry.LookupAsync(m.Room, _stop.Token);
                            await c.SendAsync(KvMessageType.BootstrapReply, new BootstrapMessage(m.Room, e is not null, e?.Host ?? "", e?.Port ?? 0), _stop.Token);
                            break;
                        default:
                            return; // not a registry client: drop the connection
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or KvProtocolException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or spoke nonsense: its connection ends, the registry stays.
            }
            finally
            {
                // Its rooms go with it: nobody else may unregister them, and a dead prefill worker serves none.
                foreach (var (room, owner) in _owners)
                {
                    if (owner == id && _owners.TryRemove(new KeyValuePair<RoomId, long>(room, id)))
                    {
                        await _registry.UnregisterAsync(room, CancellationToken.None);
                    }
                }
            }
        }
    }

    private async Task RegisterAsync(long connection, BootstrapMessage m)
    {
        if (_owners.TryGetValue(m.Room, out long owner))
        {
            if (owner != connection)
            {
                Interlocked.Increment(ref _refusedRooms);
                return; // another connection's room: neither overwritten nor moved
            }
        }
        else if (_owners.Count >= _options.MaxRegisteredRooms || !_owners.TryAdd(m.Room, connection))
        {
            Interlocked.Increment(ref _refusedRooms);
            return;
        }

        await _registry.RegisterAsync(m.Room, new KvEndpoint(m.Host, m.Port), _stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _accept.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
