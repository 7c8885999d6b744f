namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// <see cref="IBootstrapRegistry"/> against a <see cref="BootstrapServer"/>: one connection, one request at a time,
/// reconnecting after a failure. Each connection proves <paramref name="secret"/> (the workers' shared secret) first.
/// </summary>
public sealed class BootstrapClient(KvEndpoint server, ReadOnlyMemory<byte> secret = default) : IBootstrapRegistry, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KvConnection? _connection;

    public KvEndpoint Server { get; } = server;

    public Task RegisterAsync(RoomId room, KvEndpoint prefill, CancellationToken cancellationToken) =>
        Call(KvMessageType.BootstrapRegister, new BootstrapMessage(room, true, prefill.Host, prefill.Port), false, cancellationToken);

    public async Task<KvEndpoint?> LookupAsync(RoomId room, CancellationToken cancellationToken)
    {
        var reply = await Call(KvMessageType.BootstrapLookup, new BootstrapMessage(room, false, "", 0), true, cancellationToken);
        return reply is { Found: true } ? new KvEndpoint(reply.Host, reply.Port) : null;
    }

    public Task UnregisterAsync(RoomId room, CancellationToken cancellationToken) =>
        Call(KvMessageType.BootstrapUnregister, new BootstrapMessage(room, false, "", 0), false, cancellationToken);

    private async Task<BootstrapMessage?> Call(KvMessageType type, BootstrapMessage m, bool reply, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _connection ??= await KvConnection.ConnectAsync(Server, secret, ct);
            try
            {
                await _connection.SendAsync(type, m, ct);
                if (!reply)
                {
                    return null;
                }

                var frame = await _connection.ReceiveAsync(ct) ?? throw new IOException($"the bootstrap registry at {Server} closed the connection");
                try
                {
                    if (frame.Type != KvMessageType.BootstrapReply)
                    {
                        throw new KvProtocolException($"the bootstrap registry answered with {frame.Type}");
                    }

                    return BootstrapMessage.Parse(frame.Payload);
                }
                finally
                {
                    KvConnection.Return(frame);
                }
            }
            catch
            {
                _connection.Dispose();
                _connection = null;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _gate.Dispose();
    }
}
