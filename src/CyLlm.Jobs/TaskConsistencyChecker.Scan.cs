using System.Diagnostics;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs;

/// <summary>Full scans: every task row (checked by the store's read path) and every task's history.</summary>
public sealed partial class TaskConsistencyChecker
{
    private const int ScanPageSize = 500;

    /// <summary>
    /// Pages through every task of <paramref name="store"/> in id order. Rows are counted by the store's read-path check
    /// (its <see cref="IJobStore.Checker"/>); histories are counted here. Returns every violation found.
    /// </summary>
    public async Task<ConsistencyScanReport> ScanAsync(IJobStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var sw = Stopwatch.StartNew();
        var violations = new List<TaskViolation>();
        int tasks = 0, events = 0;
        TaskId? after = null;
        while (true)
        {
            var page = await store.ScanTasksAsync(after, ScanPageSize, ct).ConfigureAwait(false);
            foreach (var t in page)
            {
                tasks++;
                if (!ReferenceEquals(store.Checker, this))
                {
                    // Another checker counted the row on read; count it here too so this instance's totals are complete.
                    violations.AddRange(Observe(t));
                }
                else
                {
                    violations.AddRange(Validate(t));
                }

                var history = await store.GetTaskHistoryAsync(t.Id, ct).ConfigureAwait(false);
                events += history.Count;
                violations.AddRange(ObserveHistory(t, history));
            }

            if (page.Count < ScanPageSize)
            {
                break;
            }

            after = page[^1].Id;
        }

        return new ConsistencyScanReport(tasks, events, violations, sw.Elapsed);
    }

    /// <summary>
    /// Scans every <paramref name="interval"/> until cancelled, reporting each scan to <paramref name="onReport"/>.
    /// A failing scan (database unavailable) is reported through <paramref name="onError"/> and retried next tick.
    /// </summary>
    public async Task RunPeriodicScansAsync(IJobStore store, TimeSpan interval, Action<ConsistencyScanReport>? onReport = null,
        Action<Exception>? onError = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "scan interval must be positive");
        }

        using var timer = new PeriodicTimer(interval, store.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    onReport?.Invoke(await ScanAsync(store, ct).ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    onError?.Invoke(e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }
}
