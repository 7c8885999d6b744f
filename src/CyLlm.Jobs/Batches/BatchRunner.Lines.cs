using System.Diagnostics;
using System.Runtime.ExceptionServices;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Batches;

/// <summary>Answering the lines: a bounded pool of consumers over the unanswered lines.</summary>
public sealed partial class BatchRunner
{
    /// <summary>
    /// Answers every unanswered line with up to <see cref="BatchRunnerOptions.MaxConcurrentLines"/> in flight; returns
    /// the task in finalizing, cancelling, or still in progress when the window passed. Exactly that many consumer tasks
    /// take the next unanswered line (in input order) from a shared cursor, execute it, record its answer (fenced) and
    /// then do the bookkeeping (counts, progress every <see cref="BatchRunnerOptions.ProgressEvery"/> answers) one at a
    /// time. A progress write that finds the batch cancelling stops the taking of lines; lines in flight finish and are
    /// recorded. A failure in any consumer (lost lease, store error) cancels the others' lines and is rethrown.
    /// </summary>
    private async Task<TaskRecord> AnswerLinesAsync(TaskRecord task, IReadOnlyList<BatchRequestLine> lines, DateTimeOffset deadline, Run run, CancellationToken ct)
    {
        var done = new bool[lines.Count];
        int completed = 0, failed = 0, unanswered = lines.Count;
        foreach (var r in await store.ListBatchResultsAsync(task.Id, ct).ConfigureAwait(false))
        {
            if (r.LineIndex < done.Length && !done[r.LineIndex])
            {
                done[r.LineIndex] = true;
                unanswered--;
                run.Skipped++;
                if (r.Succeeded)
                {
                    completed++;
                }
                else
                {
                    failed++;
                }
            }
        }

        // Unanswered line indices, ascending: the order lines are started in.
        var pending = new int[unanswered];
        for (int i = 0, n = 0; i < done.Length; i++)
        {
            if (!done[i])
            {
                pending[n++] = i;
            }
        }

        using var answering = new Answering(task, pending, completed, failed);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int consumers = Math.Min(options.MaxConcurrentLines, pending.Length);
        var tasks = new Task[consumers];
        for (int c = 0; c < consumers; c++)
        {
            tasks[c] = Task.Run(() => ConsumeLinesAsync(answering, lines, deadline, run, stop), CancellationToken.None);
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (answering.Failure is not null)
        {
            // The first failure in time, not the first consumer's (the others were cancelled because of it).
            ExceptionDispatchInfo.Throw(answering.Failure);
        }

        if (answering.Revoked is { } reason)
        {
            // Lines in flight finished and were recorded; the caller writes the partial files and fails the batch.
            run.Revoked = reason;
            return answering.Record;
        }

        if (answering.Record.Stage != TaskStage.InProgress || answering.Expired)
        {
            return answering.Record;
        }

        Debug.Assert(answering.Answered == lines.Count, "every line answered when no consumer stopped early");
        return await TransitionAsync(task.Id, run, t => t.Stage == TaskStage.InProgress ? TaskStateMachine.MoveTo(t, TaskStage.Finalizing, Now) : null,
            "all lines answered", ct).ConfigureAwait(false);
    }

    /// <summary>One consumer: takes lines until none is left or the run stops; records each answer as soon as it has it.</summary>
    private async Task ConsumeLinesAsync(Answering a, IReadOnlyList<BatchRequestLine> lines, DateTimeOffset deadline, Run run, CancellationTokenSource stop)
    {
        var ct = stop.Token;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (!a.TryTake(Now >= deadline, out int index))
                {
                    return;
                }

                // The batch runs with its submitter's rights: a key revoked (or a tenant disabled) since stops it
                // before its next line, not after the whole input.
                if (authorization is not null && await authorization(ct).ConfigureAwait(false) is { } revoked)
                {
                    a.Revoke(revoked);
                    return;
                }

                var result = await ExecuteLineAsync(a.Record.Id, lines[index], ct).ConfigureAwait(false);
                await store.RecordBatchResultAsync(result, run.Lease, ct).ConfigureAwait(false);
                Interlocked.Increment(ref run.Executed);
                await BookAsync(a, result.Succeeded, run, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            a.Fail(e);
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Counts one recorded answer and writes progress every ProgressEvery answers (one consumer at a time, so counts only grow).</summary>
    private async Task BookAsync(Answering a, bool succeeded, Run run, CancellationToken ct)
    {
        // Not cancellable: the holder only runs a short store write, and the count must follow the recorded row.
        await a.Books.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (succeeded)
            {
                a.Completed++;
            }
            else
            {
                a.Failed++;
            }

            // Once stopped (cancel seen, window passed) the final transition writes the counts.
            if (++a.SinceProgress < options.ProgressEvery || a.Stopped)
            {
                return;
            }

            a.SinceProgress = 0;
            int total = a.Total;
            int pct = Math.Min(99, a.Answered * 100 / total);
            string counts = new BatchResult(new BatchRequestCounts(total, a.Completed, a.Failed), null, null).ToJson();
            a.Record = await TransitionAsync(a.Record.Id, run, t => t.Stage is TaskStage.InProgress or TaskStage.Cancelling
                ? TaskStateMachine.ReportProgress(t, pct, Now, counts) : null, "progress", ct).ConfigureAwait(false);
            if (a.Record.Stage != TaskStage.InProgress)
            {
                a.Stop();
            }
        }
        finally
        {
            a.Books.Release();
        }
    }

    /// <summary>
    /// State the consumers of one run share. The cursor, stop flags and failure are guarded by a lock; counts, progress
    /// and <see cref="Record"/> by <see cref="Books"/> (read without it only after every consumer ended).
    /// </summary>
    /// <param name="pending">Unanswered line indices, ascending.</param>
    private sealed class Answering(TaskRecord task, int[] pending, int completed, int failed) : IDisposable
    {
        private readonly Lock gate = new();
        private readonly int skipped = completed + failed;
        private int next;
        private Exception? failure;
        private string? revoked;
        private volatile bool stopped;

        /// <summary>Serializes bookkeeping after a line is recorded.</summary>
        public SemaphoreSlim Books { get; } = new(1, 1);

        /// <summary>The batch as last read or written by this run.</summary>
        public TaskRecord Record { get; set; } = task;

        public int Completed { get; set; } = completed;

        public int Failed { get; set; } = failed;

        public int SinceProgress { get; set; }

        /// <summary>Lines of the batch (answered before this run plus pending).</summary>
        public int Total => skipped + pending.Length;

        public int Answered => Completed + Failed;

        /// <summary>No further line is started (cancel seen, window passed, or a consumer failed).</summary>
        public bool Stopped => stopped;

        /// <summary>The completion window passed before every line was started.</summary>
        public bool Expired { get; private set; }

        public Exception? Failure
        {
            get
            {
                lock (gate)
                {
                    return failure;
                }
            }
        }

        /// <summary>The next line to start, unless none is left or the run stopped (<paramref name="pastDeadline"/> stops it as expired).</summary>
        public bool TryTake(bool pastDeadline, out int index)
        {
            lock (gate)
            {
                index = -1;
                if (stopped || next >= pending.Length)
                {
                    return false;
                }

                if (pastDeadline)
                {
                    stopped = Expired = true;
                    return false;
                }

                index = pending[next++];
                return true;
            }
        }

        public void Stop() => stopped = true;

        /// <summary>Why the submitter may no longer run the batch (first reason seen), or null.</summary>
        public string? Revoked
        {
            get
            {
                lock (gate)
                {
                    return revoked;
                }
            }
        }

        /// <summary>Keeps the first reason the submitter lost its rights and stops the taking of lines.</summary>
        public void Revoke(string reason)
        {
            lock (gate)
            {
                revoked ??= reason;
                stopped = true;
            }
        }

        /// <summary>Keeps the first failure and stops the taking of lines.</summary>
        public void Fail(Exception e)
        {
            lock (gate)
            {
                failure ??= e;
                stopped = true;
            }
        }

        public void Dispose() => Books.Dispose();
    }
}
