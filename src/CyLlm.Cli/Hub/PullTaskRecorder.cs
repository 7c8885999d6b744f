using System.Text.Json;
using CyLlm.Jobs;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Hub;

/// <summary>
/// Records a download as a durable <see cref="TaskKind.ModelPull"/> task so that <c>GET /v1/tasks</c> shows it:
/// running with progress = percent of bytes (bytes_done/bytes_total in its result), then succeeded or failed. A pull
/// killed mid-download leaves its task running; the next pull of the same file (same input) continues that task
/// instead of starting a second one. The store is opened only when a download actually starts, so a cache hit or an
/// offline run never touches the data folder.
/// </summary>
public sealed class PullTaskRecorder(Func<CancellationToken, Task<IJobStore>> openStore, string tenantId, TimeProvider time) : IPullListener, IAsyncDisposable
{
    private IJobStore? store;
    private TaskRecord? task;
    private int lastPercent = -1;

    /// <summary>The task being recorded (null before a download starts).</summary>
    public TaskId? TaskId => task?.Id;

    public async ValueTask StartedAsync(PullDownload download, CancellationToken ct)
    {
        store = await openStore(ct).ConfigureAwait(false);
        string input = Input(download);
        var live = await store.ListResumableTasksAsync(TaskKind.ModelPull, 100, ct).ConfigureAwait(false);
        task = live.FirstOrDefault(t => t.TenantId == tenantId && t.Input == input);
        if (task is null)
        {
            task = await store.CreateTaskAsync(TaskStateMachine.Create(Jobs.TaskId.New(TaskKind.ModelPull), tenantId, time.GetUtcNow(), input), ct).ConfigureAwait(false);
        }

        if (task.Stage == TaskStage.Queued)
        {
            task = await store.UpdateTaskAsync(TaskStateMachine.MoveTo(task, TaskStage.Running, time.GetUtcNow(), result: Result(download, download.ResumeFrom, null)), task.Version, ct: ct).ConfigureAwait(false);
        }

        lastPercent = task.Progress;
    }

    public async ValueTask ProgressAsync(PullDownload download, long bytesDone, CancellationToken ct)
    {
        if (store is null || task is null || download.Size is not > 0)
        {
            return;
        }

        // One write per percent: at most 100 small transactions per file, however large it is.
        int percent = (int)Math.Min(99, bytesDone * 100 / download.Size.Value);
        if (percent == lastPercent)
        {
            return;
        }

        lastPercent = percent;
        task = await store.UpdateTaskAsync(TaskStateMachine.ReportProgress(task, percent, time.GetUtcNow(), Result(download, bytesDone, null)), task.Version, ct: ct).ConfigureAwait(false);
    }

    public async ValueTask SucceededAsync(PullDownload download, string path, CancellationToken ct)
    {
        if (store is null || task is null)
        {
            return;
        }

        long total = download.Size ?? new FileInfo(path).Length;
        task = await store.UpdateTaskAsync(TaskStateMachine.MoveTo(task, TaskStage.Succeeded, time.GetUtcNow(), result: Result(download, total, path)), task.Version, ct: ct).ConfigureAwait(false);
    }

    public async ValueTask FailedAsync(PullDownload download, HubException error, CancellationToken ct)
    {
        if (store is null || task is null)
        {
            return;
        }

        // An interrupted download stays running: the partial file is kept and the next pull resumes it and this task.
        if (error.Code == "download_failed")
        {
            return;
        }

        task = await store.UpdateTaskAsync(TaskStateMachine.Fail(task, new TaskError(error.Code, error.Message), time.GetUtcNow()), task.Version, ct: ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (store is not null)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            store = null;
        }
    }

    private static string Input(PullDownload d) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["source"] = "hf",
        ["repo"] = d.Reference.Repo,
        ["revision"] = d.Reference.Revision,
        ["commit"] = d.Commit,
        ["file"] = d.File,
        ["etag"] = d.Etag,
    });

    private static string Result(PullDownload d, long done, string? path) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["repo"] = d.Reference.Repo,
        ["revision"] = d.Reference.Revision,
        ["file"] = d.File,
        ["bytes_done"] = done,
        ["bytes_total"] = d.Size,
        ["path"] = path,
    });
}
