using System.Net;
using System.Net.Sockets;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The bootstrap registry over TCP (same framing as the KV protocol): BootstrapRegister / BootstrapUnregister store,
/// BootstrapLookup is answered with a BootstrapReply. The router (gateway) or a test hosts it.
/// </summary>
public sealed class BootstrapServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly InMemoryBootstrapRegistry _registry = new();
    private readonly Task _accept;

    public BootstrapServer(IPAddress address, int port)
    {
        _listener = new TcpListener(address, port);
        _listener.Start();
        Endpoint = new KvEndpoint(address.ToString(), ((IPEndPoint)_listener.LocalEndpoint).Port);
        _accept = Task.Run(AcceptLoop);
    }

    public KvEndpoint Endpoint { get; }

    /// <summary>The rooms registered now (in-process view for the router).</summary>
    public IBootstrapRegistry Registry => _registry;

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
        using (c)
        {
            try
            {
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
                            await _registry.RegisterAsync(m.Room, new KvEndpoint(m.Host, m.Port), _stop.Token);
                            break;
                        case KvMessageType.BootstrapUnregister:
                            await _registry.UnregisterAsync(m.Room, _stop.Token);
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
        }
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
