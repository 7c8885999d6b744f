using CyLlm.Gateway.Endpoints.Batches;
using CyLlm.Jobs;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// The gateway's background batch worker. It repeatedly takes live batch tasks nobody holds a lease on (new ones, and
/// ones whose worker died: their lease expired) and runs them one at a time through <see cref="BatchRunner"/> with an
/// <see cref="InProcessBatchExecutor"/>, up to <see cref="GatewayOptions.BatchConcurrency"/> lines of a batch at once
/// (so the engine batches them). The runner records each answered line as soon as it completes, so a batch
/// interrupted by kill -9 resumes after restart (once its lease, <see cref="GatewayOptions.BatchLeaseDuration"/>,
/// lapses) without running any answered line again; only the lines in flight run again. A graceful stop releases the
/// lease, so a restart resumes at once.
/// </summary>
public sealed class BatchWorker(GatewayState state, IServiceProvider services, ILogger<BatchWorker> log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>This process's worker id (lease owner), unique per start.</summary>
    public string WorkerId { get; } = $"gw-{Environment.ProcessId}-{Guid.NewGuid():N}"[..28];

    /// <summary>Batches this worker ran to a terminal state or gave up (for tests and logs).</summary>
    public int Finished => Volatile.Read(ref _finished);

    private int _finished;

    /// <summary>Iterations of the worker loop that failed and were retried (for tests and logs).</summary>
    public int FailedIterations => Volatile.Read(ref _failedIterations);

    private int _failedIterations;

    /// <summary>Looks for work now instead of at the next poll (a batch was created or cancelled).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = state.Options.BatchLeaseDuration;
        var runnerOptions = new BatchRunnerOptions(state.StoreHost.FilesDirectory)
        {
            LeaseDuration = lease,
            HeartbeatInterval = lease / 3,
            // Frequent progress rows keep request_counts fresh and let a cancel request stop the batch within a few lines.
            ProgressEvery = 5,
            // Several lines in flight so the engine batches them; each answer is still recorded as soon as it completes.
            MaxConcurrentLines = state.Options.BatchConcurrency,
            // Output files go to the file storage: with --file-storage store any replica serves them, and a replica that
            // takes the batch over after a crash rewrites the same blob.
            Contents = state.StoreHost.Contents,
        };
        // Lines run while the model loads would all be answered 503; batches wait for it (and never run if it failed).
        try
        {
            await state.Model.Loading.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError("batch worker: the model failed to load ({Message}); batches stay queued until a restart", e.Message);
            return;
        }

        // Any failure of an iteration is logged and retried with backoff: it must never stop the host.
        var backoff = new RetryBackoff(state.Time, state.Options.BackgroundRetryDelay, BackgroundLoop.MaxDelay);
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked = false;
            try
            {
                foreach (var task in await state.Store.ListResumableTasksAsync(TaskKind.Batch, 16, stoppingToken))
                {
                    worked |= await RunOneAsync(runnerOptions, task, stoppingToken);
                }

                backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failedIterations);
                log.LogError(e, "batch worker: an iteration failed ({Type}: {Message}); retrying in {Delay} s", e.GetType().Name, e.Message, backoff.Next.TotalSeconds);
                try
                {
                    await backoff.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (!worked)
            {
                try
                {
                    await _wake.WaitAsync(state.Options.BatchPollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs one batch to its end (or until stopped); true when it did something.</summary>
    private async Task<bool> RunOneAsync(BatchRunnerOptions runnerOptions, TaskRecord task, CancellationToken ct)
    {
        var input = StoredInput(task);
        IReadOnlyList<string>? lines;
        try
        {
            lines = input is null ? null : await ReadInputAsync(task, input.InputFileId, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JobStoreException or BlobCorruptException)
        {
            // Unreadable now (permissions, a busy disk or database, a damaged copy): this batch waits for a later poll; the others run.
            Interlocked.Increment(ref _failedIterations);
            log.LogError("batch {Id}: cannot read its input file ({Type}: {Message}); retrying later", task.Id, e.GetType().Name, e.Message);
            return false;
        }

        if (lines is null)
        {
            await FailMissingInputAsync(task, input?.InputFileId, ct);
            return true;
        }

        try
        {
            // Lines run as the batch's tenant and creating key.
            var caller = InProcessBatchExecutor.ForBatch(task.TenantId, input!.KeyId, input.KeyPrefix, input.AllowedModels);
            // Re-checked before each line: a revoked key or a disabled tenant stops its batch (failed, authorization_revoked).
            var authorization = new BatchAuthorization(state.Store, state.Time, state.Options.AuthCacheTtl, task.TenantId, input.KeyId);
            var runner = new BatchRunner(state.Store, new InProcessBatchExecutor(services, caller), runnerOptions, authorization.CheckAsync);
            var summary = await runner.RunAsync(task.Id, lines, WorkerId, ct);
            if (summary.Outcome == BatchRunOutcome.LeaseHeld)
            {
                return false;
            }

            log.LogInformation("batch {Id}: {Outcome}, {Executed} line(s) run, {Skipped} already answered", task.Id, summary.Outcome, summary.LinesExecuted, summary.LinesSkipped);
            Interlocked.Increment(ref _finished);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "batch {Id} stopped with an error; it resumes when its lease expires", task.Id);
            return false;
        }
    }

    private static StoredBatchInput? StoredInput(TaskRecord task)
    {
        try
        {
            return StoredBatchInput.FromJson(task.Input);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<string>?> ReadInputAsync(TaskRecord task, string fileId, CancellationToken ct)
    {
        var file = await state.Store.GetFileAsync(task.TenantId, fileId, ct);
        if (file is null)
        {
            return null;
        }

        try
        {
            // Streamed from the file storage (any replica's upload with --file-storage store); blank lines are not kept.
            await using var content = await state.StoreHost.Contents.OpenAsync(file, ct);
            return await SparseLines.ReadAsync(content, ct);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The input file was deleted before the batch finished: a cancelling batch ends cancelled, any other fails.</summary>
    private async Task FailMissingInputAsync(TaskRecord task, string? fileId, CancellationToken ct)
    {
        var now = state.Time.GetUtcNow();
        try
        {
            await state.Store.UpdateTaskAsync(task.Id, t => t.Stage == TaskStage.Cancelling
                ? TaskStateMachine.MoveTo(t, TaskStage.Cancelled, now)
                : TaskStateMachine.Fail(t, new TaskError("input_file_missing", $"the input file '{fileId}' no longer exists"), now),
                message: "input file missing", ct: ct);
        }
        catch (IllegalTransitionException)
        {
            // It finished meanwhile.
        }

        Interlocked.Increment(ref _finished);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
