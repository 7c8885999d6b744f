using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Training.FineTuning;

/// <summary>
/// Takes fine-tuning jobs from the store one at a time (highest priority, then oldest: <see cref="JobQueuePolicy"/>),
/// holds each through a lease with heartbeats, and drives its task through
/// <c>validating_files → queued → running → succeeded | failed | cancelled</c> while an <see cref="IFineTuneExecutor"/>
/// trains. A job whose worker died (lease expired) is picked up again and resumes from its last recorded checkpoint.
/// Cancellation is requested through the store (the API moves the task to cancelled); the worker notices it on its
/// next heartbeat and cancels the executor, which finishes the current step and keeps a checkpoint.
/// </summary>
public sealed partial class FineTuneWorker
{
    private readonly IJobStore store;
    private readonly IFineTuneExecutor executor;
    private readonly FineTuneWorkerOptions options;
    private readonly TimeProvider _time;

    public FineTuneWorker(IJobStore store, IFineTuneExecutor executor, FineTuneWorkerOptions options)
    {
        this.store = store;
        this.executor = executor;
        this.options = options;
        _time = store.Time;
    }

    /// <summary>Called after a job succeeded and before its task says so, to make its model servable (register the adapter).</summary>
    /// <remarks>Arguments: the model name, the job's tenant, the outcome.</remarks>
    public Func<string, string, FineTuneOutcome, Task>? OnSucceeded { get; init; }

    /// <summary>
    /// Like <see cref="OnSucceeded"/> (called right after it), with the job's spec first: (spec, fine-tuned model name,
    /// tenant id, outcome). A server with several base models registers the adapter on the one the spec names.
    /// </summary>
    public Func<FineTuneJobSpec, string, string, FineTuneOutcome, Task>? OnJobSucceeded { get; init; }

    /// <summary>Runs jobs until <paramref name="ct"/> is cancelled, polling the store every <paramref name="idle"/> when none waits.</summary>
    public async Task RunAsync(TimeSpan idle, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            bool ran;
            try
            {
                ran = await RunOnceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (JobStoreException)
            {
                // The store is briefly unavailable (locked, restarting): the lease protects the job; try again later.
                ran = false;
            }

            if (!ran)
            {
                try
                {
                    await Task.Delay(idle, _time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs the next waiting job to its end; false when there was none (or another worker holds them all).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var waiting = await store.ListResumableTasksAsync(TaskKind.FineTuning, 200, ct);
        if (waiting.Count == 0)
        {
            return false;
        }

        var byId = new Dictionary<string, TaskRecord>(waiting.Count, StringComparer.Ordinal);
        var queued = new List<QueuedJob>(waiting.Count);
        foreach (var t in waiting)
        {
            byId[t.Id.Value] = t;
            queued.Add(new QueuedJob(t.Id.Value, ReadPriority(t), t.CreatedAt));
        }

        // Jobs created within one clock tick are ordered by their creation event's store-wide sequence (first in,
        // first out); only those ties cost a history read.
        for (int i = 0; i < queued.Count; i++)
        {
            var q = queued[i];
            if (queued.Exists(o => o.JobId != q.JobId && o.Priority == q.Priority && o.CreatedAt == q.CreatedAt))
            {
                var history = await store.GetTaskHistoryAsync(byId[q.JobId].Id, ct);
                queued[i] = q with { Sequence = history.Count > 0 ? history[0].Sequence : long.MaxValue };
            }
        }

        foreach (var job in JobQueuePolicy.Order(queued))
        {
            var task = byId[job.JobId];
            var lease = await store.TryAcquireLeaseAsync(task.Id, options.Owner, options.LeaseDuration, ct);
            if (lease is null)
            {
                continue;
            }

            await RunJobAsync(task.Id, lease, ct);
            return true;
        }

        return false;
    }

    /// <summary>The priority in a task's spec; a spec that does not parse sorts first so it fails fast and visibly.</summary>
    private static int ReadPriority(TaskRecord task)
    {
        try
        {
            return task.Input is null ? 0 : FineTuneJson.Deserialize<FineTuneJobSpec>(task.Input).Priority;
        }
        catch (System.Text.Json.JsonException)
        {
            return int.MaxValue;
        }
    }

    private async Task RunJobAsync(TaskId id, Lease lease, CancellationToken ct)
    {
        using var jobCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var job = new JobContext(this, id, lease);
        var heartbeat = HeartbeatLoopAsync(job, jobCts);
        try
        {
            await DriveAsync(job, jobCts.Token);
        }
        finally
        {
            job.Done = true;
            await jobCts.CancelAsync();
            await heartbeat;
            try
            {
                await store.ReleaseLeaseAsync(job.Lease, CancellationToken.None);
            }
            catch (JobStoreException)
            {
                // Released by expiry instead.
            }
        }
    }

    private async Task DriveAsync(JobContext job, CancellationToken ct)
    {
        var task = await store.GetTaskAsync(job.Id, ct) ?? throw new TaskNotFoundException($"task {job.Id} does not exist");
        if (task.IsTerminal)
        {
            return;
        }

        FineTuneJobSpec spec;
        try
        {
            spec = FineTuneJson.Deserialize<FineTuneJobSpec>(task.Input ?? throw new System.Text.Json.JsonException("no spec"));
        }
        catch (System.Text.Json.JsonException e)
        {
            await job.TryWriteAsync(t => TaskStateMachine.Fail(t, new TaskError("invalid_job", $"the job's stored spec is unreadable: {e.Message}"), Now), null, ct);
            return;
        }

        string workDir = Path.Combine(options.JobsDirectory, job.Id.Value);
        Directory.CreateDirectory(workDir);
        var latest = await store.GetLatestCheckpointAsync(job.Id, ct);
        if (options.SharedFiles is { } shared)
        {
            // Taken over from another replica: its files and its last checkpoint are copied here from shared storage.
            // The test is "outside this job folder", not "missing": the trainer resumes from its own folder only, and
            // another replica's folder may well be visible (same machine, a shared mount).
            spec = await shared.LocalizeAsync(spec, task.TenantId, ct);
            if (latest is not null && !Path.GetFullPath(latest.Path).StartsWith(Path.GetFullPath(workDir) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && await shared.FetchCheckpointAsync(job.Id.Value, latest.Step, RelativeToJob(latest.Path, job.Id.Value), workDir, ct) is { } local)
            {
                latest = latest with { Path = local };
            }
        }

        var run = new FineTuneRun(job.Id.Value, spec, workDir, latest is null ? null : ToCheckpoint(latest));

        try
        {
            if (task.Stage == TaskStage.ValidatingFiles)
            {
                string summary = await executor.ValidateAsync(run, ct);
                task = await job.TryWriteAsync(t => TaskStateMachine.MoveTo(t, TaskStage.Queued, Now, result: WithState(t, s => s with { Validation = summary })), summary, ct);
                if (task is null)
                {
                    return;
                }
            }

            if (task.Stage == TaskStage.Queued)
            {
                task = await job.TryWriteAsync(t => TaskStateMachine.MoveTo(t, TaskStage.Running, Now), run.ResumeFrom is null ? "training started" : $"resuming from checkpoint at step {run.ResumeFrom.Step}", ct);
                if (task is null)
                {
                    return;
                }
            }
            else if (run.ResumeFrom is not null)
            {
                await job.TryWriteAsync(t => t with { }, $"resuming from checkpoint at step {run.ResumeFrom.Step} (lease epoch {job.Lease.Epoch})", ct, progressOnly: true);
            }

            var outcome = await executor.RunAsync(run, new Callbacks(this, job), ct);
            string modelName = spec.FineTunedModelName(job.Id.Value);
            if (OnSucceeded is not null)
            {
                await OnSucceeded(modelName, task.TenantId, outcome);
            }

            if (OnJobSucceeded is not null)
            {
                await OnJobSucceeded(spec, modelName, task.TenantId, outcome);
            }

            await job.TryWriteAsync(
                t => TaskStateMachine.MoveTo(t, TaskStage.Succeeded, Now, result: WithState(t, s => s with
                {
                    FineTunedModel = modelName,
                    ModelPath = outcome.ModelPath,
                    IsAdapter = outcome.IsAdapter,
                    TrainedTokens = outcome.TrainedTokens,
                    StopReason = outcome.StopReason,
                    EstimatedFinish = null,
                })),
                $"job succeeded ({outcome.StopReason}); model {modelName}",
                ct);
        }
        catch (OperationCanceledException) when (job.CancelledByUser || ct.IsCancellationRequested)
        {
            // Cancelled through the API (the task already says so) or the worker is shutting down (the lease
            // lapses and another worker resumes from the checkpoint the executor kept).
        }
        catch (FineTuneDataException e)
        {
            await job.TryWriteAsync(t => TaskStateMachine.Fail(t, new TaskError(e.Code, e.Message), Now), e.Message, ct);
        }
        catch (LeaseLostException)
        {
            // Another worker owns the job now; it resumes from the last checkpoint.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await job.TryWriteAsync(t => TaskStateMachine.Fail(t, new TaskError("training_error", e.Message), Now), e.Message, ct);
        }
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>A checkpoint path relative to its job folder (<c>…/&lt;job id&gt;/REL</c> on the replica that wrote it); else its file name.</summary>
    internal static string RelativeToJob(string path, string jobId)
    {
        string marker = Path.DirectorySeparatorChar + jobId + Path.DirectorySeparatorChar;
        int at = path.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 ? path[(at + marker.Length)..] : Path.GetFileName(path);
    }

    private static FineTuneCheckpoint ToCheckpoint(CheckpointRecord r) => new(r.Step, r.Path, r.SizeBytes, r.Sha256, double.NaN, null);

    /// <summary>The task's result with the job state changed by <paramref name="change"/>, as JSON.</summary>
    internal static string WithState(TaskRecord task, Func<FineTuneJobState, FineTuneJobState> change)
    {
        var state = ReadState(task);
        return FineTuneJson.Serialize(change(state));
    }

    public static FineTuneJobState ReadState(TaskRecord task)
    {
        if (task.Result is null)
        {
            return new FineTuneJobState();
        }

        try
        {
            return FineTuneJson.Deserialize<FineTuneJobState>(task.Result);
        }
        catch (System.Text.Json.JsonException)
        {
            return new FineTuneJobState();
        }
    }

    private async Task HeartbeatLoopAsync(JobContext job, CancellationTokenSource jobCts)
    {
        while (!job.Done)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, _time, jobCts.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                job.Lease = await store.HeartbeatAsync(job.Lease, options.LeaseDuration, CancellationToken.None);
                var t = await store.GetTaskAsync(job.Id, CancellationToken.None);
                if (t is null || t.Status == TaskStatus.Cancelled)
                {
                    job.CancelledByUser = true;
                    await jobCts.CancelAsync();
                    return;
                }
            }
            catch (LeaseLostException)
            {
                await jobCts.CancelAsync();
                return;
            }
            catch (JobStoreException)
            {
                // Transient; the next beat retries well before the lease runs out.
            }
        }
    }
}
