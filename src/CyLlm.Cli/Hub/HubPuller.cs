namespace CyLlm.Cli.Hub;

/// <summary>
/// Resolves a <see cref="HubReference"/> to a file in the Hub cache, downloading it when missing: ask the Hub which
/// commit the revision is at and which files it has, pick the file, reuse snapshots/{commit}/{file} or the blob when
/// present (whoever downloaded it), else download and verify the blob, then link the snapshot and record the ref.
/// With HF_HUB_OFFLINE, and when the Hub cannot be reached, the cache alone answers.
/// </summary>
public sealed class HubPuller(HubSettings settings, TimeProvider time, HttpMessageHandler? handler = null)
{
    /// <summary>Passed to <see cref="HubDownloader.IdleTimeout"/>.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Called with a one-line notice (e.g. "the Hub is unreachable; using the cached copy"); null ignores them.</summary>
    public Action<string>? Notice { get; init; }

    public HubCache Cache { get; } = new(settings.CacheDirectory);

    public async Task<PullResult> PullAsync(HubReference r, IPullListener listener, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(listener);
        if (settings.Offline)
        {
            return FromCache(r) ?? throw new HubException("not_cached",
                $"HF_HUB_OFFLINE is set and {r} is not in the cache {Cache.Root}; pull it once with network access (cyllm pull {r})");
        }

        using var client = new HubClient(settings, handler);
        HubRevision revision;
        try
        {
            revision = await client.GetRevisionAsync(r, ct).ConfigureAwait(false);
        }
        catch (HubException e) when (e.Code == "unreachable" && FromCache(r) is { } cached)
        {
            Notice?.Invoke($"{e.Message}; using the cached {cached.File} (commit {cached.Commit[..8]})");
            return cached;
        }

        string file = HubFileSelector.Select(r, revision.Files);
        string snapshot = Cache.Snapshot(r, revision.Commit, file);
        if (File.Exists(snapshot))
        {
            Cache.WriteRef(r, r.Revision, revision.Commit);
            return new PullResult(snapshot, file, revision.Commit, Downloaded: false, FromCacheOnly: false);
        }

        var meta = await client.GetFileMetadataAsync(r, revision.Commit, file, ct).ConfigureAwait(false);
        string blob = Cache.Blob(r, meta.Etag);
        bool downloaded = false;
        PullDownload? download = null;
        if (!File.Exists(blob))
        {
            var downloader = new HubDownloader(client, Cache, time) { IdleTimeout = IdleTimeout };
            (blob, download) = await downloader.DownloadAsync(r, revision.Commit, file, meta, listener, ct).ConfigureAwait(false);
            downloaded = true;
        }

        string path = Cache.LinkSnapshot(r, revision.Commit, file, blob);
        Cache.WriteRef(r, r.Revision, revision.Commit);
        if (download is not null)
        {
            await listener.SucceededAsync(download, path, ct).ConfigureAwait(false);
        }

        return new PullResult(path, file, revision.Commit, downloaded, FromCacheOnly: false);
    }

    /// <summary>The cached file <paramref name="r"/> names at the commit its revision last pointed to; null when absent.</summary>
    public PullResult? FromCache(HubReference r)
    {
        if (Cache.ReadRef(r, r.Revision) is not { } commit)
        {
            return null;
        }

        var files = Cache.SnapshotFiles(r, commit);
        if (files.Count == 0)
        {
            return null;
        }

        string file;
        try
        {
            file = HubFileSelector.Select(r, files);
        }
        catch (HubException e) when (e.Code == "file_not_found")
        {
            // Only part of the repository is cached: the file asked for is not among it.
            return null;
        }

        return new PullResult(Cache.Snapshot(r, commit, file), file, commit, Downloaded: false, FromCacheOnly: true);
    }
}
