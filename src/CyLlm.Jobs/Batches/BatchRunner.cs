using System.Text.Json;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Batches;

/// <summary>
/// Runs an OpenAI-style batch as a durable task: validating → in_progress → finalizing → completed (or failed, expired,
/// cancelling → cancelled). The worker holds a lease with heartbeats. Up to <see cref="BatchRunnerOptions.MaxConcurrentLines"/>
/// lines run at once (a bounded pool of that many consumers taking the unanswered lines in input order), so the serving
/// engine can batch them; each answered line is recorded in batch_results (fenced by the lease) as soon as it completes,
/// in whatever order the lines complete. A worker killed at any moment therefore loses at most the lines in flight (at
/// most MaxConcurrentLines, none of them recorded), and a restarted run skips every recorded line. Output and error
/// files are written with AtomicFile from the recorded answers only, in input line order whatever the completion
/// order, so each line appears exactly once however many runs it took. A cancel request stops the start of new lines;
/// the lines in flight finish and are recorded before the partial files are written. A lost lease cancels the lines in
/// flight and records nothing more (every write is fenced).
/// </summary>
/// <remarks>Split over BatchRunner.*.cs (answering lines, output files).</remarks>
public sealed partial class BatchRunner
{
    private readonly IJobStore store;
    private readonly IBatchLineExecutor executor;
    private readonly BatchRunnerOptions options;
    private readonly Func<CancellationToken, Task<string?>>? authorization;

    /// <summary>The <see cref="TaskError.Code"/> of a batch failed because its submitter lost the right to run it.</summary>
    public const string AuthorizationRevokedCode = "authorization_revoked";

    /// <param name="authorization">Asked before each line: null while the batch's submitter (its key, its tenant) may
    /// still run it, else why not (the key was revoked, the tenant disabled). A reason stops the batch: no new line
    /// starts, the lines in flight are recorded, the partial files are written and the batch fails with
    /// <see cref="AuthorizationRevokedCode"/> and that reason. Null = never re-checked.</param>
    public BatchRunner(IJobStore store, IBatchLineExecutor executor, BatchRunnerOptions options, Func<CancellationToken, Task<string?>>? authorization = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatInterval >= options.LeaseDuration || options.ProgressEvery < 1
            || options.MaxConcurrentLines is < 1 or > BatchRunnerOptions.MaxConcurrentLinesLimit)
        {
            throw new ArgumentException(
                $"heartbeat interval must be positive and shorter than the lease; progress interval ≥ 1; concurrent lines 1 to {BatchRunnerOptions.MaxConcurrentLinesLimit}",
                nameof(options));
        }

        this.store = store;
        this.executor = executor;
        this.options = options;
        this.authorization = authorization;
    }

    /// <summary>Creates a batch task (stage validating) for <paramref name="spec"/>; throws <see cref="FormatException"/> for a bad completion window.</summary>
    public static Task<TaskRecord> CreateAsync(IJobStore store, string tenantId, BatchSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        _ = spec.Window();
        var task = TaskStateMachine.Create(TaskId.New(TaskKind.Batch), tenantId, store.Time.GetUtcNow(), spec.ToJson());
        return store.CreateTaskAsync(task, ct);
    }

    /// <summary>Asks a batch to stop (→ cancelling); the worker running it starts no new line, finishes the lines in flight, writes partial files and moves it to cancelled.</summary>
    public static Task<TaskRecord> RequestCancelAsync(IJobStore store, TaskId batchId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.UpdateTaskAsync(batchId, t => TaskStateMachine.RequestCancel(t, store.Time.GetUtcNow()), message: "cancel requested", ct: ct);
    }

    /// <summary>
    /// Runs (or resumes) the batch with the lines of its input file as <paramref name="workerId"/>. Returns
    /// <see cref="BatchRunOutcome.LeaseHeld"/> at once while another worker's lease is live.
    /// </summary>
    public async Task<BatchRunSummary> RunAsync(TaskId batchId, IReadOnlyList<string> inputLines, string workerId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(inputLines);
        if (batchId.Kind != TaskKind.Batch)
        {
            throw new ArgumentException($"{batchId} is not a batch", nameof(batchId));
        }

        var lease = await store.TryAcquireLeaseAsync(batchId, workerId, options.LeaseDuration, ct).ConfigureAwait(false);
        if (lease is null)
        {
            return new BatchRunSummary(BatchRunOutcome.LeaseHeld, await store.GetTaskAsync(batchId, ct).ConfigureAwait(false), 0, 0, new BatchRequestCounts(0, 0, 0));
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = new Run(lease);
        var heartbeat = HeartbeatLoopAsync(run, cts);
        try
        {
            return await RunLeasedAsync(batchId, inputLines, run, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LeaseLostException || (e is OperationCanceledException && run.LeaseLost && !ct.IsCancellationRequested))
        {
            run.LeaseLost = true;
            return new BatchRunSummary(BatchRunOutcome.LeaseLost, await store.GetTaskAsync(batchId, CancellationToken.None).ConfigureAwait(false),
                run.Executed, run.Skipped, new BatchRequestCounts(0, 0, 0));
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            if (!run.LeaseLost)
            {
                try
                {
                    await store.ReleaseLeaseAsync(run.Lease, CancellationToken.None).ConfigureAwait(false);
                }
                catch (JobStoreException)
                {
                    // The lease simply expires.
                }
            }
        }
    }

    private async Task<BatchRunSummary> RunLeasedAsync(TaskId id, IReadOnlyList<string> inputLines, Run run, CancellationToken ct)
    {
        var task = await store.GetTaskAsync(id, ct).ConfigureAwait(false) ?? throw new TaskNotFoundException($"batch {id} does not exist");
        if (task.IsTerminal)
        {
            return await SummaryAsync(BatchRunOutcome.AlreadyFinished, task, run, null, ct).ConfigureAwait(false);
        }

        var spec = BatchSpec.FromJson(task.Input ?? throw new JobStoreException($"batch {id} has no input spec"));
        IReadOnlyList<BatchRequestLine> lines;
        try
        {
            lines = BatchInput.Parse(inputLines, spec.Endpoint, options.MaxRequests);
        }
        catch (BatchInputException e) when (task.Stage is TaskStage.Validating or TaskStage.InProgress)
        {
            task = await TransitionAsync(id, run, t => t.Stage is TaskStage.Validating or TaskStage.InProgress
                ? TaskStateMachine.Fail(t, new TaskError("invalid_input_file", e.Message), Now)
                : null, "input invalid", ct).ConfigureAwait(false);
            return await SummaryAsync(task.Stage == TaskStage.Failed ? BatchRunOutcome.Failed : BatchRunOutcome.Cancelled, task, run, null, ct).ConfigureAwait(false);
        }

        if (task.Stage == TaskStage.Validating)
        {
            string counts = new BatchResult(new BatchRequestCounts(lines.Count, 0, 0), null, null).ToJson();
            task = await TransitionAsync(id, run, t => t.Stage == TaskStage.Validating ? TaskStateMachine.MoveTo(t, TaskStage.InProgress, Now, result: counts) : null,
                "validated", ct).ConfigureAwait(false);
        }

        DateTimeOffset deadline = task.CreatedAt + spec.Window();
        if (task.Stage == TaskStage.InProgress)
        {
            task = await AnswerLinesAsync(task, lines, deadline, run, ct).ConfigureAwait(false);
        }

        return task.Stage switch
        {
            TaskStage.Cancelling => await StopAsync(task, lines, run, expired: false, ct).ConfigureAwait(false),
            TaskStage.InProgress when run.Revoked is not null => await StopAsync(task, lines, run, expired: false, ct).ConfigureAwait(false),
            TaskStage.InProgress => await StopAsync(task, lines, run, expired: true, ct).ConfigureAwait(false),
            TaskStage.Finalizing => await FinalizeAsync(task, lines, run, ct).ConfigureAwait(false),
            _ => await SummaryAsync(OutcomeOf(task), task, run, lines, ct).ConfigureAwait(false),
        };
    }

    private async Task<BatchLineResult> ExecuteLineAsync(TaskId id, BatchRequestLine line, CancellationToken ct)
    {
        BatchLineResponse response;
        try
        {
            response = await executor.ExecuteAsync(line, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new BatchLineResult(id, line.Index, line.CustomId, 500, null, "executor_error", OneLine(e.Message), Now);
        }

        if (!IsJson(response.BodyJson))
        {
            return new BatchLineResult(id, line.Index, line.CustomId, response.StatusCode, null, "invalid_response", "the endpoint returned a body that is not JSON", Now);
        }

        return response.StatusCode is >= 200 and < 300
            ? new BatchLineResult(id, line.Index, line.CustomId, response.StatusCode, response.BodyJson, null, null, Now)
            : new BatchLineResult(id, line.Index, line.CustomId, response.StatusCode, response.BodyJson, "request_failed", $"status {response.StatusCode}", Now);
    }

    /// <summary>Cancellation, expiry or a revoked submitter: writes files for what was answered and moves to cancelled / expired.</summary>
    private async Task<BatchRunSummary> StopAsync(TaskRecord task, IReadOnlyList<BatchRequestLine> lines, Run run, bool expired, CancellationToken ct)
    {
        var (result, results) = await WriteOutputsAsync(task, lines, ct).ConfigureAwait(false);
        string json = result.ToJson();
        task = await TransitionAsync(task.Id, run, t => t.Stage switch
        {
            TaskStage.Cancelling => TaskStateMachine.MoveTo(t, TaskStage.Cancelled, Now, result: json),
            TaskStage.InProgress when run.Revoked is { } reason => TaskStateMachine.MoveTo(t, TaskStage.Failed, Now,
                new TaskError(AuthorizationRevokedCode, $"{reason}; {lines.Count - results.Count} of {lines.Count} requests were not run"), json),
            TaskStage.InProgress when expired => TaskStateMachine.MoveTo(t, TaskStage.Expired, Now,
                new TaskError("batch_expired", $"the completion window passed with {lines.Count - results.Count} of {lines.Count} requests unanswered"), json),
            _ => null,
        }, run.Revoked is not null ? "authorization revoked" : expired ? "expired" : "cancelled", ct).ConfigureAwait(false);
        return await SummaryAsync(OutcomeOf(task), task, run, lines, ct).ConfigureAwait(false);
    }

    private async Task<BatchRunSummary> FinalizeAsync(TaskRecord task, IReadOnlyList<BatchRequestLine> lines, Run run, CancellationToken ct)
    {
        var (result, _) = await WriteOutputsAsync(task, lines, ct).ConfigureAwait(false);
        string json = result.ToJson();
        task = await TransitionAsync(task.Id, run, t => t.Stage == TaskStage.Finalizing ? TaskStateMachine.MoveTo(t, TaskStage.Completed, Now, result: json) : null,
            "completed", ct).ConfigureAwait(false);
        return await SummaryAsync(OutcomeOf(task), task, run, lines, ct).ConfigureAwait(false);
    }

    /// <summary>Compare-and-set loop: <paramref name="decide"/> returns the next record for the current one, or null to leave it.</summary>
    private async Task<TaskRecord> TransitionAsync(TaskId id, Run run, Func<TaskRecord, TaskRecord?> decide, string message, CancellationToken ct)
    {
        while (true)
        {
            var current = await store.GetTaskAsync(id, ct).ConfigureAwait(false) ?? throw new TaskNotFoundException($"batch {id} does not exist");
            var next = decide(current);
            if (next is null)
            {
                return current;
            }

            try
            {
                return await store.UpdateTaskAsync(next, current.Version, run.Lease, message, ct).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // A cancel request (or another writer) moved the batch; decide again on the new state.
            }
        }
    }

    private async Task<BatchRunSummary> SummaryAsync(BatchRunOutcome outcome, TaskRecord task, Run run, IReadOnlyList<BatchRequestLine>? lines, CancellationToken ct)
    {
        var results = await store.ListBatchResultsAsync(task.Id, ct).ConfigureAwait(false);
        int completed = 0;
        foreach (var r in results)
        {
            completed += r.Succeeded ? 1 : 0;
        }

        return new BatchRunSummary(outcome, task, run.Executed, run.Skipped, new BatchRequestCounts(lines?.Count ?? results.Count, completed, results.Count - completed));
    }

    private async Task HeartbeatLoopAsync(Run run, CancellationTokenSource cts)
    {
        while (!cts.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, store.Time, cts.Token).ConfigureAwait(false);
                run.Lease = await store.HeartbeatAsync(run.Lease, options.LeaseDuration, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (LeaseLostException)
            {
                run.LeaseLost = true;
                await cts.CancelAsync().ConfigureAwait(false);
                return;
            }
            catch (JobStoreException)
            {
                // Database briefly unavailable: try again next tick; fenced writes stop the run if the lease really lapses.
            }
        }
    }

    private static BatchRunOutcome OutcomeOf(TaskRecord t) => t.Stage switch
    {
        TaskStage.Completed => BatchRunOutcome.Completed,
        TaskStage.Expired => BatchRunOutcome.Expired,
        TaskStage.Cancelled => BatchRunOutcome.Cancelled,
        _ => BatchRunOutcome.Failed,
    };

    private DateTimeOffset Now => store.Time.GetUtcNow();

    private static bool IsJson(string? s)
    {
        if (s is null)
        {
            return false;
        }

        try
        {
            using var _ = JsonDocument.Parse(s);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string OneLine(string s)
    {
        string t = s.ReplaceLineEndings(" ");
        return t.Length <= 300 ? t : t[..300];
    }

    /// <summary>Mutable state of one run, shared with its heartbeat loop and line consumers.</summary>
    private sealed class Run(Lease lease)
    {
        public volatile Lease Lease = lease;
        public volatile bool LeaseLost;

        /// <summary>Why the submitter may no longer run the batch, once a check said so.</summary>
        public volatile string? Revoked;

        /// <summary>Lines executed and recorded by this run (incremented with Interlocked by the consumers).</summary>
        public int Executed;
        public int Skipped;
    }
}
