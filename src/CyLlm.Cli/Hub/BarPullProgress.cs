using Spectre.Console;

namespace CyLlm.Cli.Hub;

/// <summary>Progress on a terminal: a Spectre.Console bar (the same library as `cyllm train`'s), added when a download starts.</summary>
public sealed class BarPullProgress(ProgressContext context) : IPullListener
{
    private ProgressTask? task;

    public ValueTask StartedAsync(PullDownload download, CancellationToken ct)
    {
        task = context.AddTask(Markup.Escape(download.File), maxValue: download.Size is > 0 ? download.Size.Value : 1);
        task.Value = download.ResumeFrom;
        task.IsIndeterminate = download.Size is not > 0;
        return ValueTask.CompletedTask;
    }

    public ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct)
    {
        if (task is not null && download.Size is > 0)
        {
            task.Value = bytesDone;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct)
    {
        if (task is not null)
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct)
    {
        task?.StopTask();
        return ValueTask.CompletedTask;
    }
}
