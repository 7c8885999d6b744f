using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// One TCP connection carrying frames: an 8-byte header — u16 magic 0x4B43 ("CK"), u8 version 1, u8 type
/// (<see cref="KvMessageType"/>), u32 payload length — then the payload, all little-endian. Sends are serialized
/// (one frame at a time, whole); receiving is for one reader loop.
/// <para>
/// Every connection starts with <see cref="AuthenticateAsync"/>: until both sides proved they hold the workers' shared
/// secret, only the two 32-byte handshake frames are accepted, and every header is checked against its type's size
/// limit before a byte of payload is allocated, so an unauthenticated peer costs a few bytes of memory at most.
/// </para>
/// </summary>
public sealed class KvConnection : IDisposable
{
    public const int HeaderBytes = 8;
    public const ushort Magic = 0x4B43;
    public const byte Version = 1;
    public const int MaxBlocksPerMessage = 1 << 16;
    public const int MaxPayload = 1 << 30;

    /// <summary>Staging buffer size for chunk sends: several blocks per socket write.</summary>
    private const int StagingBytes = 1 << 20;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly byte[] _header = new byte[HeaderBytes];
    private long _bytesSent;
    private long _bytesReceived;
    private int _disposed;
    private bool _authenticated;

    /// <summary>Bytes of a handshake nonce and of an HMAC-SHA256 tag.</summary>
    public const int NonceBytes = 32;

    /// <summary>How long a peer has to complete the handshake before the connection is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    public KvConnection(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Connects and runs the handshake as the initiator with <paramref name="secret"/> (see <see cref="AuthenticateAsync"/>).</summary>
    public static async Task<KvConnection> ConnectAsync(KvEndpoint endpoint, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken, TimeSpan? handshakeTimeout = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        KvConnection? connection = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            connection = new KvConnection(socket);
            await connection.AuthenticateAsync(secret, initiator: true, cancellationToken, handshakeTimeout);
            return connection;
        }
        catch
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Mutual challenge–response over the workers' shared secret (empty: links open to anyone who can connect, as
    /// before secrets existed). Each side sends Hello with a fresh 32-byte nonce, answers the peer's Hello with
    /// Auth = HMAC-SHA256(secret, role ‖ peer's nonce ‖ own nonce) — role "initiator" or "acceptor", so a tag cannot be
    /// reflected back — and checks the peer's Auth in constant time. Bounded by <paramref name="timeout"/>
    /// (<see cref="HandshakeTimeout"/> by default).
    /// </summary>
    /// <exception cref="KvProtocolException">The peer sent anything else, or a wrong tag.</exception>
    /// <exception cref="IOException">The peer did not complete the handshake in time (a silent peer); its inner exception is a <see cref="TimeoutException"/>.</exception>
    public async Task AuthenticateAsync(ReadOnlyMemory<byte> secret, bool initiator, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var limit = timeout ?? HandshakeTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await HandshakeAsync(secret, initiator, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // An IOException, as every other way a connection can fail; the inner TimeoutException tells a silent peer apart.
            throw new IOException($"the peer did not complete the handshake within {limit.TotalSeconds:0.###} s", new TimeoutException());
        }
    }

    private async Task HandshakeAsync(ReadOnlyMemory<byte> secret, bool initiator, CancellationToken ct)
    {
        byte[] own = RandomNumberGenerator.GetBytes(NonceBytes);
        await SendAsync(KvMessageType.Hello, NonceBytes, static (s, o) => ((byte[])o!).CopyTo(s), own, ct);
        byte[] peer = await ReceiveHandshakeAsync(KvMessageType.Hello, ct);
        byte[] mine = Tag(secret.Span, initiator, peer, own);
        await SendAsync(KvMessageType.Auth, NonceBytes, static (s, o) => ((byte[])o!).CopyTo(s), mine, ct);
        byte[] theirs = await ReceiveHandshakeAsync(KvMessageType.Auth, ct);
        if (!CryptographicOperations.FixedTimeEquals(theirs, Tag(secret.Span, !initiator, own, peer)))
        {
            throw new KvProtocolException("the peer did not prove the workers' shared secret");
        }

        _authenticated = true;
    }

    /// <summary>HMAC-SHA256(secret, role ‖ receiver's nonce ‖ sender's nonce), by the sender of the tag.</summary>
    private static byte[] Tag(ReadOnlySpan<byte> secret, bool senderIsInitiator, byte[] receiverNonce, byte[] senderNonce)
    {
        Span<byte> message = stackalloc byte[16 + (2 * NonceBytes)];
        message.Clear();
        Encoding.ASCII.GetBytes(senderIsInitiator ? "cyllm-kv-init" : "cyllm-kv-accept", message);
        receiverNonce.CopyTo(message[16..]);
        senderNonce.CopyTo(message[(16 + NonceBytes)..]);
        return HMACSHA256.HashData(secret, message);
    }

    private async Task<byte[]> ReceiveHandshakeAsync(KvMessageType expected, CancellationToken ct)
    {
        var frame = await ReceiveAsync(ct) ?? throw new KvProtocolException("the peer closed the connection during the handshake");
        try
        {
            if (frame.Type != expected)
            {
                throw new KvProtocolException($"expected {expected} during the handshake, got {frame.Type}");
            }

            return frame.Payload.ToArray();
        }
        finally
        {
            Return(frame);
        }
    }

    /// <summary>
    /// The largest payload a frame of <paramref name="type"/> may carry, or −1 for a type this connection does not accept
    /// now. Before the handshake completes only Hello and Auth (exactly 32 bytes) are accepted.
    /// </summary>
    public static long PayloadLimit(KvMessageType type, bool authenticated) => (type, authenticated) switch
    {
        (KvMessageType.Hello or KvMessageType.Auth, false) => NonceBytes,
        (_, false) => -1,
        (KvMessageType.Hello or KvMessageType.Auth, true) => -1,
        (KvMessageType.Chunk, true) => MaxPayload,
        (KvMessageType.Init or KvMessageType.Resume, true) => 20 + (4L * MaxBlocksPerMessage),
        (KvMessageType.RegisterBuffers, true) => 64,
        (KvMessageType.Abort, true) => 64 << 10,
        (KvMessageType.Heartbeat, true) => 8,
        (KvMessageType.BootstrapRegister or KvMessageType.BootstrapLookup or KvMessageType.BootstrapReply or KvMessageType.BootstrapUnregister, true) => 11 + BootstrapMessage.MaxHostBytes,
        _ => -1,
    };

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Sends one frame whose payload a message writes (<paramref name="size"/> bytes).</summary>
    public async Task SendAsync(KvMessageType type, int size, SpanAction<byte, object?> write, object? state, CancellationToken cancellationToken)
    {
        byte[] buf = ArrayPool<byte>.Shared.Rent(HeaderBytes + size);
        try
        {
            WriteHeader(buf, type, size);
            write(buf.AsSpan(HeaderBytes, size), state);
            await _write.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(buf.AsMemory(0, HeaderBytes + size), cancellationToken);
            }
            finally
            {
                _write.Release();
            }

            Interlocked.Add(ref _bytesSent, HeaderBytes + size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    public Task SendAsync(RegisterBuffersMessage m, CancellationToken ct) => SendAsync(KvMessageType.RegisterBuffers, RegisterBuffersMessage.Size, static (s, o) => ((RegisterBuffersMessage)o!).Write(s), m, ct);

    public Task SendAsync(InitMessage m, CancellationToken ct) => SendAsync(KvMessageType.Init, m.Size, static (s, o) => ((InitMessage)o!).Write(s), m, ct);

    public Task SendAsync(ResumeMessage m, CancellationToken ct) => SendAsync(KvMessageType.Resume, m.Size, static (s, o) => ((ResumeMessage)o!).Write(s), m, ct);

    public Task SendAsync(AbortMessage m, CancellationToken ct) => SendAsync(KvMessageType.Abort, m.Size, static (s, o) => ((AbortMessage)o!).Write(s), m, ct);

    public Task SendAsync(KvMessageType type, BootstrapMessage m, CancellationToken ct) => SendAsync(type, m.Size, static (s, o) => ((BootstrapMessage)o!).Write(s), m, ct);

    public Task SendHeartbeatAsync(ulong sequence, CancellationToken ct) =>
        SendAsync(KvMessageType.Heartbeat, 8, static (s, o) => BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)o!), sequence, ct);

    /// <summary>
    /// Sends a chunk: its header, then <c>header.Blocks.Length × blockBytes</c> of KV that <paramref name="fill"/> copies
    /// block by block (index within the chunk, destination) into a staging buffer. Returns the frame's bytes.
    /// </summary>
    public async Task<long> SendChunkAsync(ChunkHeader header, int blockBytes, Action<int, Span<byte>> fill, CancellationToken cancellationToken)
    {
        int n = header.Blocks.Length;
        long payload = header.Size + ((long)n * blockBytes);
        if (payload > MaxPayload)
        {
            throw new ArgumentException($"a chunk of {n} blocks of {blockBytes} bytes exceeds the frame limit");
        }

        int perWrite = Math.Max(1, StagingBytes / Math.Max(1, blockBytes));
        byte[] buf = ArrayPool<byte>.Shared.Rent(Math.Max(HeaderBytes + header.Size, Math.Min(n, perWrite) * blockBytes));
        await _write.WaitAsync(cancellationToken);
        try
        {
            WriteHeader(buf, KvMessageType.Chunk, (int)payload);
            header.Write(buf.AsSpan(HeaderBytes, header.Size));
            await _stream.WriteAsync(buf.AsMemory(0, HeaderBytes + header.Size), cancellationToken);
            for (int b = 0; b < n; b += perWrite)
            {
                int count = Math.Min(perWrite, n - b);
                for (int i = 0; i < count; i++)
                {
                    fill(b + i, buf.AsSpan(i * blockBytes, blockBytes));
                }

                await _stream.WriteAsync(buf.AsMemory(0, count * blockBytes), cancellationToken);
            }
        }
        finally
        {
            _write.Release();
            ArrayPool<byte>.Shared.Return(buf);
        }

        Interlocked.Add(ref _bytesSent, HeaderBytes + payload);
        return HeaderBytes + payload;
    }

    /// <summary>The next frame, or null when the peer closed the connection cleanly between frames.</summary>
    public async Task<KvFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        int got = 0;
        while (got < HeaderBytes)
        {
            int r = await _stream.ReadAsync(_header.AsMemory(got), cancellationToken);
            if (r == 0)
            {
                return got == 0 ? null : throw new KvProtocolException("connection closed inside a frame header");
            }

            got += r;
        }

        long arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(_header);
        byte version = _header[2];
        var type = (KvMessageType)_header[3];
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(4));
        if (magic != Magic || version != Version)
        {
            throw new KvProtocolException($"not a CyLlm KV frame (magic 0x{magic:X4}, version {version})");
        }

        // Checked before anything is allocated: the type must be one this connection accepts now, within its limit.
        long limit = PayloadLimit(type, _authenticated);
        if (limit < 0)
        {
            throw new KvProtocolException(_authenticated ? $"unexpected frame type {(byte)type}" : $"frame type {(byte)type} before the handshake");
        }

        if (length > limit)
        {
            throw new KvProtocolException($"a {type} frame of {length} bytes exceeds its {limit}-byte limit");
        }

        byte[] buf = ArrayPool<byte>.Shared.Rent(Math.Max(1, (int)length));
        try
        {
            await _stream.ReadExactlyAsync(buf.AsMemory(0, (int)length), cancellationToken);
        }
        catch (EndOfStreamException)
        {
            ArrayPool<byte>.Shared.Return(buf);
            throw new KvProtocolException("connection closed inside a frame");
        }

        Interlocked.Add(ref _bytesReceived, HeaderBytes + length);
        return new KvFrame(type, buf, (int)length, arrived);
    }

    public static void Return(KvFrame frame) => ArrayPool<byte>.Shared.Return(frame.Buffer);

    private static void WriteHeader(Span<byte> buf, KvMessageType type, int length)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(buf, Magic);
        buf[2] = Version;
        buf[3] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(buf[4..], (uint)length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stream.Dispose();
    }
}
