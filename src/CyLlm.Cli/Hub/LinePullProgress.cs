using System.Globalization;

namespace CyLlm.Cli.Hub;

/// <summary>Progress for a redirected stderr (logs, CI): one line when the download starts, then one per <see cref="StepPercent"/> %.</summary>
public sealed class LinePullProgress(TextWriter output) : IPullListener
{
    public const int StepPercent = 5;

    private int lastPercent = -1;

    public ValueTask StartedAsync(PullDownload download, CancellationToken ct)
    {
        lastPercent = download.Size is > 0 ? Percent(download.ResumeFrom, download.Size.Value) : -1;
        string resume = download.ResumeFrom > 0 ? $", resuming at {Mib(download.ResumeFrom)}" : "";
        output.WriteLine($"pulling {download.File} from {download.Reference.Repo} ({(download.Size is { } s ? Mib(s) : "size unknown")}{resume})");
        return ValueTask.CompletedTask;
    }

    public ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct)
    {
        if (download.Size is > 0)
        {
            int p = Percent(bytesDone, download.Size.Value);
            if (p >= lastPercent + StepPercent || (p == 100 && lastPercent < 100))
            {
                lastPercent = p - (p % StepPercent);
                output.WriteLine($"{download.File}: {p}% ({Mib(bytesDone)} of {Mib(download.Size.Value)})");
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct)
    {
        output.WriteLine($"{download.File}: verified ({download.Etag[..Math.Min(12, download.Etag.Length)]}…), saved as {path}");
        return ValueTask.CompletedTask;
    }

    public ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct) => ValueTask.CompletedTask;

    private static int Percent(long done, long total) => (int)Math.Min(100, done * 100 / total);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
