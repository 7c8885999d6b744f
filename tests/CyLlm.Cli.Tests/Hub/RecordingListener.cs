using CyLlm.Cli.Hub;

namespace CyLlm.Cli.Tests.Hub;

/// <summary>Keeps what a pull told its listener, to assert on.</summary>
internal sealed class RecordingListener : IPullListener
{
    public List<PullDownload> Started { get; } = [];

    public List<long> Progress { get; } = [];

    public List<string> Succeeded { get; } = [];

    public List<HubException> Failed { get; } = [];

    public ValueTask StartedAsync(PullDownload download, CancellationToken ct)
    {
        Started.Add(download);
        return ValueTask.CompletedTask;
    }

    public ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct)
    {
        Progress.Add(bytesDone);
        return ValueTask.CompletedTask;
    }

    public ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct)
    {
        Succeeded.Add(path);
        return ValueTask.CompletedTask;
    }

    public ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct)
    {
        Failed.Add(error);
        return ValueTask.CompletedTask;
    }
}
