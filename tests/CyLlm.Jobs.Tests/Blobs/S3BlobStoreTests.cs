using System.Net.Http.Headers;
using System.Security.Cryptography;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Blobs.S3;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>
/// The blob conformance suite on an S3-compatible bucket (s3rver from <c>.ci/services.sh</c>, which verifies every
/// Signature Version 4 request), plus what only a remote bucket can do wrong: a wrong secret, an object without our
/// metadata, an unreachable endpoint — each one clear error, never a hang.
/// </summary>
public sealed class S3BlobStoreTests : BlobStoreConformanceTests
{
    private S3Settings _settings = null!;
    private S3BlobStore? _store;

    protected override Task<IBlobStore> OpenAsync()
    {
        _settings = S3TestServer.Settings();
        _store = new S3BlobStore(_settings);
        return Task.FromResult<IBlobStore>(_store);
    }

    /// <summary>Replaces the object's bytes (one flipped) but keeps the SHA-256 metadata of the original.</summary>
    protected override async Task CorruptAsync(string blobId)
    {
        var info = await Blobs.GetBlobInfoAsync(blobId) ?? throw new InvalidOperationException("nothing to corrupt");
        byte[] data;
        await using (var s = await Blobs.OpenBlobAsync(blobId))
        {
            var ms = new MemoryStream();
            await s.CopyToAsync(ms);
            data = ms.ToArray();
        }

        data[data.Length / 2] ^= 0x5A;
        using var response = await RawPutAsync(blobId, data, info.Sha256);
        response.EnsureSuccessStatusCode();
    }

    protected override Task CleanupAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A signed PUT behind the store's back: <paramref name="metaSha"/> as the SHA-256 metadata, or none (another tool's object).</summary>
    private async Task<HttpResponseMessage> RawPutAsync(string blobId, byte[] data, string? metaSha)
    {
        string path = "/" + SigV4.EncodePath($"{_settings.Bucket}/{_settings.Prefix}{blobId}");
        var uri = new Uri(_settings.Endpoint, path);
        var now = DateTimeOffset.UtcNow;
        string payload = Convert.ToHexStringLower(SHA256.HashData(data));
        List<KeyValuePair<string, string>> headers =
        [
            new("host", $"{uri.Host}:{uri.Port}"), new("x-amz-content-sha256", payload), new("x-amz-date", SigV4.AmzDate(now)),
        ];
        if (metaSha is not null)
        {
            headers.Add(new("x-amz-meta-cyllm-sha256", metaSha));
        }

        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(data) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        foreach (var (k, v) in headers.Skip(1))
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        request.Headers.TryAddWithoutValidation("Authorization", SigV4.Authorization("PUT", path, [], headers, payload, now, _settings.Region, _settings.AccessKeyId, _settings.SecretAccessKey));
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_server_with_its_error_code()
    {
        using var wrong = new S3BlobStore(S3TestServer.Settings(secret: "not-the-secret"));
        var e = await Assert.ThrowsAsync<BlobStoreException>(() => wrong.WriteBlobAsync("file-auth", new MemoryStream([1, 2, 3])));
        Assert.Contains("403", e.Message);
        Assert.Contains("SignatureDoesNotMatch", e.Message);
        Assert.Null(await Blobs.GetBlobInfoAsync("file-auth"));
    }

    [Fact]
    public async Task An_object_written_by_another_tool_without_our_sha256_reads_as_missing()
    {
        using var response = await RawPutAsync("file-foreign", [1, 2, 3], metaSha: null);
        response.EnsureSuccessStatusCode();
        Assert.Null(await Blobs.GetBlobInfoAsync("file-foreign"));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.OpenBlobAsync("file-foreign"));
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_one_blob_error_naming_the_bucket()
    {
        // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
        using var gone = new S3BlobStore(S3TestServer.Settings() with { Endpoint = new Uri("http://127.0.0.1:9") });
        var e = await Assert.ThrowsAsync<BlobStoreException>(() => gone.GetBlobInfoAsync("file-x"));
        Assert.Contains("s3://cyllm-test/", e.Message);
    }

    [Fact]
    public async Task Blob_ids_the_store_refuses_never_reach_the_bucket()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.WriteBlobAsync("../escape", new MemoryStream([1])));
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.OpenBlobAsync("a/b"));
    }
}
