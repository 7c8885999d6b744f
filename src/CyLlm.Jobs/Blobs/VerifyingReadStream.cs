using System.Security.Cryptography;

namespace CyLlm.Jobs.Blobs;

/// <summary>
/// A read-only, forward-only view of <c>inner</c> that hashes what passes through and, when the inner stream ends,
/// throws <see cref="BlobCorruptException"/> unless exactly <see cref="BlobInfo.Length"/> bytes with
/// <see cref="BlobInfo.Sha256"/> were read. The hash is checked as soon as the recorded length is reached, before the
/// last bytes are handed out, so a download of damaged bytes ends short of its Content-Length (the client sees the
/// failure) instead of completing. A reader that stops early is not checked (it has not seen the whole blob).
/// </summary>
public sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly BlobInfo _expected;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public VerifyingReadStream(Stream inner, BlobInfo expected)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(expected);
        _inner = inner;
        _expected = expected;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The recorded length (lets ASP.NET send Content-Length).</summary>
    public override long Length => _expected.Length;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException("blob streams are forward-only");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        return Account(buffer[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..n]);
    }

    private int Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            _read += data.Length;
            _hash.AppendData(data);
            if (_read > _expected.Length)
            {
                throw new BlobCorruptException(_expected.Id, $"more than the recorded {_expected.Length} bytes");
            }

            if (_read == _expected.Length)
            {
                Verify();
            }

            return data.Length;
        }

        if (_read != _expected.Length)
        {
            throw new BlobCorruptException(_expected.Id, $"{_read} bytes where {_expected.Length} were recorded");
        }

        Verify();
        return 0;
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }

        string sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (!string.Equals(sha, _expected.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new BlobCorruptException(_expected.Id, $"SHA-256 {sha} where {_expected.Sha256} was recorded");
        }

        _verified = true;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("blob streams are forward-only");

    public override void SetLength(long value) => throw new NotSupportedException("blob streams are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("blob streams are read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        _hash.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
