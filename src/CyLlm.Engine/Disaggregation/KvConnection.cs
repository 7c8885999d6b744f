using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// One TCP connection carrying frames: an 8-byte header — u16 magic 0x4B43 ("CK"), u8 version 1, u8 type
/// (<see cref="KvMessageType"/>), u32 payload length — then the payload, all little-endian. Sends are serialized
/// (one frame at a time, whole); receiving is for one reader loop.
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

    public KvConnection(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<KvConnection> ConnectAsync(KvEndpoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            return new KvConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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

        if (length > MaxPayload)
        {
            throw new KvProtocolException($"frame of {length} bytes exceeds the {MaxPayload}-byte limit");
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
