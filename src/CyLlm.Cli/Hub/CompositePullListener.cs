namespace CyLlm.Cli.Hub;

/// <summary>Tells several listeners, in order (the display, then the task record).</summary>
public sealed class CompositePullListener(params IPullListener[] listeners) : IPullListener
{
    public async ValueTask StartedAsync(PullDownload download, CancellationToken ct)
    {
        foreach (var l in listeners)
        {
            await l.StartedAsync(download, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct)
    {
        foreach (var l in listeners)
        {
            await l.ProgressAsync(download, bytesDone, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct)
    {
        foreach (var l in listeners)
        {
            await l.SucceededAsync(download, path, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct)
    {
        foreach (var l in listeners)
        {
            await l.FailedAsync(download, error, ct).ConfigureAwait(false);
        }
    }
}
