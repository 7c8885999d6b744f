using System.Buffers;
using System.Diagnostics;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// A sliding window over a stream: bytes [Start, End) of <see cref="Buffer"/> are unread, and buffer index i
/// is byte <c>BaseOffset + i</c> of the stream. <see cref="Fill"/> moves the unread bytes to the front and reads
/// more, growing the buffer (pooled) up to <c>maxBytes</c> when the unread part already fills it. Memory stays
/// bounded by the largest row, whatever the stream's length.
/// </summary>
internal sealed class ByteWindow : IDisposable
{
    private const int InitialSize = 64 * 1024;
    private readonly Stream _stream;
    private readonly int _maxBytes;

    public ByteWindow(Stream stream, long startOffset, int maxBytes)
    {
        _stream = stream;
        _maxBytes = Math.Max(maxBytes, InitialSize);
        Buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        BaseOffset = startOffset;
    }

    public byte[] Buffer { get; private set; }

    public int Start { get; set; }

    public int End { get; private set; }

    /// <summary>Stream offset of Buffer[0].</summary>
    public long BaseOffset { get; private set; }

    public bool Eof { get; private set; }

    public int Count => End - Start;

    public ReadOnlySpan<byte> Unread => Buffer.AsSpan(Start, End - Start);

    public long OffsetOf(int index) => BaseOffset + index;

    /// <summary>
    /// Reads more bytes after the unread ones. False at the end of the stream, or when the unread bytes already
    /// take <c>maxBytes</c> (<see cref="Full"/>): the caller then has a row too large to hold.
    /// </summary>
    public bool Fill()
    {
        if (Eof)
        {
            return false;
        }

        if (Start > 0)
        {
            Array.Copy(Buffer, Start, Buffer, 0, End - Start);
            BaseOffset += Start;
            End -= Start;
            Start = 0;
        }

        if (End == Buffer.Length)
        {
            if (Buffer.Length >= _maxBytes)
            {
                Full = true;
                return false;
            }

            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxBytes, Buffer.Length * 2));
            Array.Copy(Buffer, bigger, End);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = bigger;
        }

        int n = _stream.Read(Buffer, End, Buffer.Length - End);
        Debug.Assert(n >= 0);
        if (n == 0)
        {
            Eof = true;
            return false;
        }

        End += n;
        Full = false;
        return true;
    }

    /// <summary>True after a <see cref="Fill"/> that failed because the window is at its size limit.</summary>
    public bool Full { get; private set; }

    /// <summary>Drops every unread byte (used to skip a row too large to hold).</summary>
    public void DiscardUnread()
    {
        BaseOffset += End;
        Start = 0;
        End = 0;
        Full = false;
    }

    public void Dispose()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
        }
    }
}
