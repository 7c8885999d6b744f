using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Training.FineTuning;

public sealed partial class FineTuneWorker
{
    /// <summary>One job being run: its lease (renewed by the heartbeat) and fenced compare-and-set writes.</summary>
    private sealed class JobContext(FineTuneWorker worker, TaskId id, Lease lease)
    {
        public TaskId Id { get; } = id;

        public volatile Lease Lease = lease;

        public volatile bool Done;

        public volatile bool CancelledByUser;

        public DateTimeOffset LastProgressWrite = DateTimeOffset.MinValue;

        /// <summary>
        /// Applies <paramref name="change"/> to the stored task and writes it fenced by the lease, retrying on version
        /// conflicts (the API may have written meanwhile). Returns null when the task turned terminal (cancelled by the
        /// API): the caller stops. With <paramref name="progressOnly"/> an unchanged record still records the message.
        /// </summary>
        public async Task<TaskRecord?> TryWriteAsync(Func<TaskRecord, TaskRecord> change, string? message, CancellationToken ct, bool progressOnly = false)
        {
            for (int attempt = 0; attempt < 8; attempt++)
            {
                var current = await worker.store.GetTaskAsync(Id, CancellationToken.None) ?? throw new TaskNotFoundException($"task {Id} does not exist");
                if (current.IsTerminal)
                {
                    CancelledByUser |= current.Status == TaskStatus.Cancelled;
                    return null;
                }

                TaskRecord next;
                try
                {
                    next = change(current);
                }
                catch (IllegalTransitionException) when (progressOnly)
                {
                    return current;
                }

                try
                {
                    return await worker.store.UpdateTaskAsync(next, current.Version, Lease, message, CancellationToken.None);
                }
                catch (ConcurrencyConflictException)
                {
                    ct.ThrowIfCancellationRequested();
                }
                catch (IllegalTransitionException)
                {
                    // Raced with a cancel: re-read; a terminal task ends the loop above.
                }
            }

            throw new JobStoreException($"task {Id} kept changing under the worker; giving up this write");
        }
    }

    /// <summary>Persists the executor's reports: progress at most every ProgressInterval, every checkpoint, messages.</summary>
    private sealed class Callbacks(FineTuneWorker worker, JobContext job) : IFineTuneCallbacks
    {
        public async ValueTask ReportAsync(FineTuneProgress progress, CancellationToken ct)
        {
            var now = worker.Now;
            bool last = progress.Step >= progress.TotalSteps;
            if (!last && now - job.LastProgressWrite < worker.options.ProgressInterval)
            {
                return;
            }

            job.LastProgressWrite = now;
            long? finish = progress.Eta is { } eta ? (now + eta).ToUnixTimeSeconds() : null;
            string metrics = FineTuneJson.Serialize(progress);
            await job.TryWriteAsync(
                t => TaskStateMachine.ReportProgress(t, Math.Max(t.Progress, progress.Percent), now, WithState(t, s => s with { Latest = progress, EstimatedFinish = finish })),
                "metrics " + metrics,
                ct,
                progressOnly: true);
        }

        public async ValueTask CheckpointAsync(FineTuneCheckpoint checkpoint, CancellationToken ct)
        {
            if (worker.options.SharedFiles is { } shared)
            {
                // Shared before it is recorded: a recorded checkpoint is always one another replica can resume from.
                await shared.ShareCheckpointAsync(job.Id.Value, checkpoint, CancellationToken.None);
            }

            var record = new CheckpointRecord(job.Id, checkpoint.Step, checkpoint.Path, checkpoint.SizeBytes, checkpoint.Sha256, worker.Now, worker.options.Owner);
            await worker.store.AddCheckpointAsync(record, job.Lease, CancellationToken.None);
            await job.TryWriteAsync(t => t, "checkpoint " + FineTuneJson.Serialize(checkpoint), ct, progressOnly: true);
        }

        public async ValueTask MessageAsync(string message, CancellationToken ct) =>
            await job.TryWriteAsync(t => t, message, ct, progressOnly: true);
    }
}
