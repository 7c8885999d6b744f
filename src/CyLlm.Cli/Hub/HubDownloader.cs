using System.Net;

namespace CyLlm.Cli.Hub;

/// <summary>
/// Downloads one blob into the cache so that only verified bytes ever appear under their final name: the bytes go to
/// blobs/{etag}.incomplete, a later pull continues that file with a <c>Range</c> request (after a crash or
/// <c>kill -9</c>), the whole file is hashed (resumed prefix included) and compared with the etag, and only then is it
/// renamed to blobs/{etag}. A mismatch deletes the partial file. A lock file keeps two pulls of one blob apart.
/// </summary>
public sealed class HubDownloader(HubClient client, HubCache cache, TimeProvider time)
{
    private const int BufferSize = 1 << 20;

    /// <summary>A read that delivers nothing for this long fails the download (it can be resumed).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fetches the blob (unless another process finished it meanwhile) and returns its path and what was downloaded.</summary>
    public async Task<(string Blob, PullDownload Download)> DownloadAsync(
        HubReference r, string commit, string file, HubFileMetadata meta, IPullListener listener, CancellationToken ct)
    {
        string blob = cache.Blob(r, meta.Etag);
        Directory.CreateDirectory(cache.BlobsFolder(r));
        string lockPath = cache.Lock(r, meta.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        using var held = TakeLock(lockPath, file);
        string incomplete = cache.Incomplete(r, meta.Etag);
        long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        var download = new PullDownload(r, commit, file, meta.Etag, meta.Size, have);
        if (File.Exists(blob))
        {
            return (blob, download); // another pull finished it while this one waited for the lock
        }

        using var hash = ContentHash.For(meta.Etag, meta.Size, file);
        await listener.StartedAsync(download, ct).ConfigureAwait(false);
        try
        {
            await FetchAsync(r, commit, file, meta, incomplete, hash, download, listener, ct).ConfigureAwait(false);
            File.Move(incomplete, blob, overwrite: false);
            return (blob, download);
        }
        catch (HubException e)
        {
            await listener.FailedAsync(download, e, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task FetchAsync(
        HubReference r, string commit, string file, HubFileMetadata meta, string incomplete, ContentHash hash, PullDownload download, IPullListener listener, CancellationToken ct)
    {
        // Unbuffered: each received chunk goes straight to the OS, so a kill -9 loses nothing that was already written.
        var fs = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        await using (fs.ConfigureAwait(false))
        {
            long have = fs.Length;
            if (meta.Size is { } size && have > size)
            {
                have = 0; // longer than the file can be: not a prefix of it
                fs.SetLength(0);
            }

            var buffer = new byte[BufferSize];
            await HashPrefixAsync(fs, have, hash, buffer, ct).ConfigureAwait(false);
            if (meta.Size is not { } total || have < total)
            {
                have = await ReceiveAsync(r, commit, file, fs, have, hash, buffer, download, listener, ct).ConfigureAwait(false);
            }

            if (meta.Size is { } expected && have != expected)
            {
                await fs.FlushAsync(ct).ConfigureAwait(false);
                throw new HubException("download_failed", $"the download of {file} ended after {have} of {expected} bytes; run the same command again to resume it");
            }

            string actual = hash.Finish();
            if (actual != hash.Expected)
            {
                fs.SetLength(0);
                await fs.DisposeAsync().ConfigureAwait(false);
                File.Delete(incomplete);
                throw new HubException("sha256_mismatch", $"{file} from {r.Repo} does not match the Hub's {hash.Algorithm}: expected {hash.Expected}, got {actual}; the download was deleted");
            }

            fs.Flush(flushToDisk: true); // durable before the rename makes it servable
        }
    }

    /// <summary>Streams the rest of the file into <paramref name="fs"/> from <paramref name="have"/>; returns the bytes now on disk.</summary>
    private async Task<long> ReceiveAsync(
        HubReference r, string commit, string file, FileStream fs, long have, ContentHash hash, byte[] buffer, PullDownload download, IPullListener listener, CancellationToken ct)
    {
        var response = await client.DownloadAsync(r, commit, file, have, ct).ConfigureAwait(false);
        using (response)
        {
            if (have > 0 && (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From != have)))
            {
                // The partial file does not fit what the server holds now: start over without a range.
                response.Dispose();
                fs.SetLength(0);
                hash.Reset();
                return await ReceiveAsync(r, commit, file, fs, 0, hash, buffer, download, listener, ct).ConfigureAwait(false);
            }

            if (response.StatusCode == HttpStatusCode.OK && have > 0)
            {
                // The server ignored the range and sends the whole file: restart cleanly rather than append a second copy.
                fs.SetLength(0);
                hash.Reset();
                have = 0;
            }

            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                throw new HubException("http_error", $"the Hub answered HTTP {(int)response.StatusCode} to the download of {file}");
            }

            fs.Seek(have, SeekOrigin.Begin);
            using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            using var link = ct.Register(idle.Cancel);
            try
            {
                var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    while (true)
                    {
                        idle.CancelAfter(IdleTimeout);
                        int n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        await fs.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                        hash.Append(buffer.AsSpan(0, n));
                        have += n;
                        await listener.ProgressAsync(download, have, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // What arrived stays in the .incomplete file for the next pull to continue from.
                await fs.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                string why = e is OperationCanceledException ? $"no data for {IdleTimeout.TotalSeconds:0} s" : e.Message;
                throw new HubException("download_failed", $"the download of {file} was interrupted after {have} of {download.Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} bytes ({why}); run the same command again to resume it", e);
            }

            await fs.FlushAsync(ct).ConfigureAwait(false);
            return have;
        }
    }

    private static async Task HashPrefixAsync(FileStream fs, long length, ContentHash hash, byte[] buffer, CancellationToken ct)
    {
        fs.Seek(0, SeekOrigin.Begin);
        long left = length;
        while (left > 0)
        {
            int n = await fs.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            hash.Append(buffer.AsSpan(0, n));
            left -= n;
        }
    }

    private static FileStream TakeLock(string path, string file)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new HubException("busy", $"another pull of {file} is running (lock {path}); wait for it to finish", e);
        }
    }
}
