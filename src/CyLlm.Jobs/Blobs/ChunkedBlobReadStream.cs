namespace CyLlm.Jobs.Blobs;

/// <summary>
/// The bytes of a chunked blob, fetched one chunk at a time by <c>readChunk(index)</c> (index 0 to
/// <c>chunkCount - 1</c>), so memory is one chunk (1 MiB) whatever the blob's size. A missing chunk throws
/// <see cref="BlobCorruptException"/>; length and hash are checked by the <see cref="VerifyingReadStream"/> around it.
/// Asynchronous reads only: a chunk is a database round trip, and blocking a thread on it is not allowed.
/// </summary>
public sealed class ChunkedBlobReadStream(string blobId, long chunkCount, Func<long, CancellationToken, Task<byte[]?>> readChunk) : Stream
{
    private byte[] _chunk = [];
    private int _offset;
    private long _next;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("the length is the verifying stream's");

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("blob streams are forward-only");
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("chunked blobs are read asynchronously (each chunk is a database round trip)");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (_offset == _chunk.Length)
        {
            if (_next >= chunkCount)
            {
                return 0;
            }

            _chunk = await readChunk(_next, cancellationToken).ConfigureAwait(false)
                ?? throw new BlobCorruptException(blobId, $"chunk {_next} of {chunkCount} is missing");
            _next++;
            _offset = 0;
        }

        int n = Math.Min(buffer.Length, _chunk.Length - _offset);
        _chunk.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("blob streams are forward-only");

    public override void SetLength(long value) => throw new NotSupportedException("blob streams are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("blob streams are read-only");
}
