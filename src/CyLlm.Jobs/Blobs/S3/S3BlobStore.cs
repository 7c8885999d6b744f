using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CyLlm.Jobs.Files;

namespace CyLlm.Jobs.Blobs.S3;

/// <summary>
/// Blobs as objects of an S3-compatible bucket (<c>--file-storage s3</c>), shared by every replica that names the
/// bucket. A write is spooled to a local temporary file first (so its length and SHA-256 are known and the size limit is
/// enforced before anything reaches the bucket), then sent as one signed PUT — which S3 applies atomically: readers see
/// the old object or the new one, never part of either. The SHA-256 travels as the signed payload hash (S3 refuses a
/// body that does not match it) and is kept as the object's <c>x-amz-meta-cyllm-sha256</c>; reads stream the GET body
/// and check length and hash at the end (<see cref="VerifyingReadStream"/>). An object without that metadata was not
/// written here and reads as missing. Objects are limited to 5 GiB (one PUT; no multipart upload).
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    /// <summary>S3's limit for one PUT.</summary>
    public const long MaxObjectBytes = 5L << 30;

    private const string ShaHeader = "x-amz-meta-cyllm-sha256";
    private readonly S3Settings _settings;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;
    private readonly string _spoolDirectory;

    public S3BlobStore(S3Settings settings, HttpClient? http = null, TimeProvider? time = null, string? spoolDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        _time = time ?? TimeProvider.System;
        _spoolDirectory = spoolDirectory ?? Path.GetTempPath();
    }

    public string BlobKind => "s3";

    /// <summary>Where the blobs are, for messages: <c>s3://BUCKET/PREFIX</c> at the endpoint.</summary>
    public string Location => $"s3://{_settings.Bucket}/{_settings.Prefix} at {_settings.Endpoint.GetLeftPart(UriPartial.Authority)}";

    public async Task<BlobInfo> WriteBlobAsync(string blobId, Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        BlobIds.Require(blobId);
        long limit = Math.Min(maxBytes, MaxObjectBytes);
        string spool = Path.Combine(_spoolDirectory, $"cyllm-s3-{Guid.NewGuid():N}.part");
        try
        {
            string sha;
            long length;
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 << 10, FileOptions.Asynchronous | FileOptions.DeleteOnClose))
            {
                using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                {
                    var limited = new LimitedReadStream(content, limit, () => new BlobTooLargeException(blobId, limit));
                    byte[] buffer = new byte[64 << 10];
                    int n;
                    while ((n = await limited.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        hash.AppendData(buffer, 0, n);
                        await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    }

                    sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                }

                length = file.Length;
                file.Position = 0;
                using var body = new StreamContent(new NonDisposingStream(file), 64 << 10);
                body.Headers.ContentLength = length;
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var response = await SendAsync(HttpMethod.Put, blobId, body, sha, [new(ShaHeader, sha)], HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                await EnsureSuccessAsync(response, blobId, "PUT", ct).ConfigureAwait(false);
            }

            return new BlobInfo(blobId, length, sha);
        }
        finally
        {
            // DeleteOnClose removes the spool file; this covers a failure before it was opened.
            try
            {
                File.Delete(spool);
            }
            catch (IOException)
            {
                // Nothing to remove, or the OS cleans the temp folder.
            }
        }
    }

    public async Task<BlobInfo?> GetBlobInfoAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        using var response = await SendAsync(HttpMethod.Head, blobId, null, SigV4.EmptyPayloadSha256, [], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, blobId, "HEAD", ct).ConfigureAwait(false);
        return Info(blobId, response);
    }

    public async Task<Stream> OpenBlobAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        var response = await SendAsync(HttpMethod.Get, blobId, null, SigV4.EmptyPayloadSha256, [], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new BlobNotFoundException(blobId, Location);
            }

            await EnsureSuccessAsync(response, blobId, "GET", ct).ConfigureAwait(false);
            var info = Info(blobId, response) ?? throw new BlobNotFoundException(blobId, Location);
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new VerifyingReadStream(new ResponseStream(body, response), info);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<bool> DeleteBlobAsync(string blobId, CancellationToken ct = default)
    {
        // S3 answers a DELETE of a missing key with 204 too, so whether there was one comes from a HEAD first.
        bool existed = await GetBlobInfoAsync(blobId, ct).ConfigureAwait(false) is not null;
        using var response = await SendAsync(HttpMethod.Delete, blobId, null, SigV4.EmptyPayloadSha256, [], HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureSuccessAsync(response, blobId, "DELETE", ct).ConfigureAwait(false);
        }

        return existed;
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>The object's URL path (path-style: /BUCKET/PREFIX+id), encoded as signed.</summary>
    private string ObjectPath(string blobId)
    {
        string basePath = _settings.Endpoint.AbsolutePath.TrimEnd('/');
        return basePath + "/" + SigV4.EncodePath($"{_settings.Bucket}/{_settings.Prefix}{blobId}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string blobId, HttpContent? body, string payloadSha, KeyValuePair<string, string>[] extra,
        HttpCompletionOption completion, CancellationToken ct)
    {
        string path = ObjectPath(blobId);
        var uri = new Uri(_settings.Endpoint.GetLeftPart(UriPartial.Authority) + path);
        var now = _time.GetUtcNow();
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}"),
            new("x-amz-content-sha256", payloadSha),
            new("x-amz-date", SigV4.AmzDate(now)),
        };
        headers.AddRange(extra);
        if (_settings.SessionToken is { } token)
        {
            headers.Add(new("x-amz-security-token", token));
        }

        using var request = new HttpRequestMessage(method, uri) { Content = body };
        foreach (var (name, value) in headers)
        {
            if (name != "host")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation("Authorization",
            SigV4.Authorization(method.Method, path, [], headers, payloadSha, now, _settings.Region, _settings.AccessKeyId, _settings.SecretAccessKey));
        try
        {
            return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BlobStoreException(blobId, $"{method} of blob '{blobId}' in {Location} failed: {e.Message}", e);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string blobId, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string detail = "";
        if (response.Content is not null)
        {
            string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            // S3 error bodies are XML <Error><Code>…</Code><Message>…</Message>; the code is what an operator searches for.
            int a = text.IndexOf("<Code>", StringComparison.Ordinal), b = text.IndexOf("</Code>", StringComparison.Ordinal);
            detail = a >= 0 && b > a ? ": " + text[(a + 6)..b] : "";
        }

        throw new BlobStoreException(blobId, $"{what} of blob '{blobId}' in {Location} answered {(int)response.StatusCode}{detail}");
    }

    private static BlobInfo? Info(string blobId, HttpResponseMessage response)
    {
        long? length = response.Content?.Headers.ContentLength;
        if (length is null || !response.Headers.TryGetValues(ShaHeader, out var values))
        {
            return null;
        }

        string sha = values.First();
        return sha.Length == 64 && sha.All(char.IsAsciiHexDigitLower) ? new BlobInfo(blobId, length.Value, sha) : null;
    }

    /// <summary>The spool file handed to StreamContent without letting it close the file (the store disposes it).</summary>
    private sealed class NonDisposingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A GET body that releases its response (and so its connection) when disposed.</summary>
    private sealed class ResponseStream(Stream body, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => body.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => body.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => body.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
