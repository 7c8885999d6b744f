namespace CyLlm.Cli.Hub;

/// <summary>Follows a download: the progress display and the durable task record. Called only when bytes must be fetched.</summary>
public interface IPullListener
{
    ValueTask StartedAsync(PullDownload download, CancellationToken ct);

    /// <summary>Bytes of the file on disk so far (resumed bytes included); called often, so implementations throttle.</summary>
    ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct);

    ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct);

    ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct);
}
