using System.Diagnostics;

namespace CyLlm.Jobs;

/// <summary>
/// Checks task records and histories against the state-machine invariants. The pure <see cref="Validate"/> and
/// <see cref="ValidateTransition"/> gate writes (the store rejects a write that breaks a rule); <see cref="Observe"/>
/// runs on every read and <see cref="ScanAsync"/> on a schedule, and both count what they find in
/// <see cref="JobsMetrics.TaskStateViolations"/> and keep the latest findings (with task ids) in <see cref="RecentViolations"/>.
/// Thread-safe.
/// </summary>
public sealed partial class TaskConsistencyChecker
{
    private const int RecentCapacity = 100;

    private readonly Action<TaskViolation>? onViolation;
    private readonly Queue<TaskViolation> recent = new();
    private readonly Lock gate = new();
    private long violationCount;

    /// <param name="onViolation">Called once per violation found by <see cref="Observe"/> or a scan (e.g. to log it).</param>
    public TaskConsistencyChecker(Action<TaskViolation>? onViolation = null)
    {
        this.onViolation = onViolation;
    }

    /// <summary>Violations this instance has counted since it was created.</summary>
    public long ViolationCount => Interlocked.Read(ref violationCount);

    /// <summary>The last (up to 100) violations this instance counted, oldest first.</summary>
    public IReadOnlyList<TaskViolation> RecentViolations
    {
        get
        {
            lock (gate)
            {
                return [.. recent];
            }
        }
    }

    /// <summary>Validates a record read from storage, counting and remembering every violation. Returns them.</summary>
    public IReadOnlyList<TaskViolation> Observe(TaskRecord task)
    {
        var found = Validate(task);
        Count(found);
        return found;
    }

    /// <summary>Validates a task's history (oldest first), counting every violation. Returns them.</summary>
    public IReadOnlyList<TaskViolation> ObserveHistory(TaskRecord task, IReadOnlyList<TaskEvent> history)
    {
        var found = ValidateHistory(task, history);
        Count(found);
        return found;
    }

    private void Count(IReadOnlyList<TaskViolation> found)
    {
        for (int i = 0; i < found.Count; i++)
        {
            var v = found[i];
            Interlocked.Increment(ref violationCount);
            JobsMetrics.TaskStateViolations.Add(1,
                new KeyValuePair<string, object?>("rule", v.Invariant.ToString()),
                new KeyValuePair<string, object?>("kind", v.TaskId.IsEmpty ? "unknown" : v.TaskId.Kind.ToString()));
            lock (gate)
            {
                recent.Enqueue(v);
                while (recent.Count > RecentCapacity)
                {
                    recent.Dequeue();
                }
            }

            onViolation?.Invoke(v);
        }
    }

    /// <summary>Every rule a single record breaks (empty when consistent). Pure: counts nothing.</summary>
    public static IReadOnlyList<TaskViolation> Validate(TaskRecord t)
    {
        ArgumentNullException.ThrowIfNull(t);
        List<TaskViolation>? found = null;
        void Add(TaskInvariant rule, string message) => (found ??= []).Add(new TaskViolation(t.Id, rule, message));

        if (!Enum.IsDefined(t.Kind))
        {
            // An unknown kind (a newer build wrote it, or a corrupt row): nothing else can be judged.
            Add(TaskInvariant.IdentityMismatch, $"unknown task kind {(int)t.Kind}");
            return found!;
        }

        if (t.Id.IsEmpty || t.Id.Kind != t.Kind || string.IsNullOrWhiteSpace(t.TenantId))
        {
            Add(TaskInvariant.IdentityMismatch, $"id '{t.Id}' / kind {t.Kind} / tenant '{t.TenantId}' do not agree");
        }

        if (!TaskStateMachine.HasStage(t.Kind, t.Stage))
        {
            Add(TaskInvariant.StageNotInKind, $"stage {t.Stage} does not exist for {t.Kind} tasks");
        }
        else if (TaskStateMachine.StatusOf(t.Kind, t.Stage) != t.Status)
        {
            Add(TaskInvariant.StatusStageMismatch,
                $"status {t.Status} disagrees with stage {TaskApiNames.Stage(t.Stage)} (means {TaskStateMachine.StatusOf(t.Kind, t.Stage)})");
        }

        if (t.Progress is < 0 or > 100)
        {
            Add(TaskInvariant.ProgressOutOfRange, $"progress {t.Progress} is outside 0..100");
        }

        if (t.Status == TaskStatus.Succeeded && t.Progress != 100)
        {
            Add(TaskInvariant.SucceededWithoutFullProgress, $"succeeded with progress {t.Progress} (must be 100)");
        }

        if (t.Status == TaskStatus.Failed && t.Error is null)
        {
            Add(TaskInvariant.FailedWithoutError, "failed without an error");
        }

        if (t.Status != TaskStatus.Failed && t.Error is not null)
        {
            Add(TaskInvariant.ErrorWithoutFailure, $"status {t.Status} carries error {t.Error.Code}");
        }

        if (t.Status == TaskStatus.Queued && (t.Progress != 0 || t.StartedAt is not null))
        {
            Add(TaskInvariant.QueuedButStarted, $"queued with progress {t.Progress} and start time {t.StartedAt?.ToString("O") ?? "none"}");
        }

        if (t.Status is TaskStatus.Running or TaskStatus.Succeeded && t.StartedAt is null)
        {
            Add(TaskInvariant.StartedWithoutStartTime, $"status {t.Status} without a start time");
        }

        bool terminal = TaskStateMachine.IsTerminal(t.Status);
        if (terminal != t.FinishedAt.HasValue)
        {
            Add(TaskInvariant.FinishTimeMismatch, terminal ? $"terminal status {t.Status} without a finish time" : $"live status {t.Status} with a finish time");
        }

        if (t.UpdatedAt < t.CreatedAt
            || (t.StartedAt is { } s && (s < t.CreatedAt || s > t.UpdatedAt))
            || (t.FinishedAt is { } f && (f < t.CreatedAt || f > t.UpdatedAt || (t.StartedAt is { } s2 && f < s2))))
        {
            Add(TaskInvariant.TimestampsOutOfOrder,
                $"timestamps out of order: created {t.CreatedAt:O}, started {t.StartedAt?.ToString("O") ?? "-"}, finished {t.FinishedAt?.ToString("O") ?? "-"}, updated {t.UpdatedAt:O}");
        }

        if (t.Version < 1)
        {
            Add(TaskInvariant.VersionNotPositive, $"version {t.Version} (must be ≥ 1)");
        }

        return (IReadOnlyList<TaskViolation>?)found ?? [];
    }

    /// <summary>Every rule the change <paramref name="before"/> → <paramref name="after"/> breaks, including <see cref="Validate"/> of the result.</summary>
    public static IReadOnlyList<TaskViolation> ValidateTransition(TaskRecord before, TaskRecord after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var found = new List<TaskViolation>();
        if (before.Id != after.Id || before.TenantId != after.TenantId || before.Kind != after.Kind || before.CreatedAt != after.CreatedAt)
        {
            found.Add(new TaskViolation(before.Id, TaskInvariant.IdentityChanged, "id, tenant, kind and creation time cannot change"));
        }

        if (before.IsTerminal)
        {
            found.Add(new TaskViolation(before.Id, TaskInvariant.TerminalMoved,
                $"task is {TaskApiNames.Stage(before.Stage)} (terminal); no further change is allowed"));
        }
        else if (before.Stage != after.Stage)
        {
            if (!TaskStateMachine.CanMove(before.Kind, before.Stage, after.Stage))
            {
                found.Add(new TaskViolation(before.Id, TaskInvariant.IllegalStageChange,
                    $"{before.Kind} cannot move from {TaskApiNames.Stage(before.Stage)} to {TaskApiNames.Stage(after.Stage)}"));
            }
        }
        else if (before.Progress != after.Progress && before.Status != TaskStatus.Running)
        {
            found.Add(new TaskViolation(before.Id, TaskInvariant.ProgressWhileNotRunning,
                $"progress changed {before.Progress} → {after.Progress} while {TaskApiNames.Stage(before.Stage)}"));
        }

        if (before.StartedAt is not null && before.StartedAt != after.StartedAt)
        {
            found.Add(new TaskViolation(before.Id, TaskInvariant.StartTimeChanged, "the start time cannot change once set"));
        }

        found.AddRange(Validate(after));
        Debug.Assert(found.Count > 0 || !before.IsTerminal, "a terminal task never validates a change");
        return found;
    }

    /// <summary>
    /// Rules a history (events oldest first) breaks: the first event creates the task in its initial stage, versions
    /// increase by one, every stage change is legal, nothing follows a terminal event, and the last event matches the row.
    /// </summary>
    public static IReadOnlyList<TaskViolation> ValidateHistory(TaskRecord task, IReadOnlyList<TaskEvent> history)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(history);
        var found = new List<TaskViolation>();
        void Add(string message) => found.Add(new TaskViolation(task.Id, TaskInvariant.HistoryInconsistent, message));
        if (history.Count == 0)
        {
            Add("the task has no history (a creation event is always written)");
            return found;
        }

        var first = history[0];
        if (first.FromStage is not null || first.ToStage != TaskStateMachine.InitialStage(task.Kind) || first.Version != 1)
        {
            Add($"first event (seq {first.Sequence}) is not the creation in {TaskApiNames.Stage(TaskStateMachine.InitialStage(task.Kind))} at version 1");
        }

        for (int i = 1; i < history.Count; i++)
        {
            var prev = history[i - 1];
            var e = history[i];
            if (e.Version != prev.Version + 1)
            {
                Add($"event seq {e.Sequence} has version {e.Version} after {prev.Version}");
            }

            if (TaskStateMachine.IsTerminal(prev.Status))
            {
                Add($"event seq {e.Sequence} follows terminal event seq {prev.Sequence}");
            }

            if (e.FromStage != prev.ToStage)
            {
                Add($"event seq {e.Sequence} starts from {e.FromStage} but the previous event ended in {prev.ToStage}");
            }

            if (e.ToStage != prev.ToStage && !TaskStateMachine.CanMove(task.Kind, prev.ToStage, e.ToStage))
            {
                Add($"event seq {e.Sequence} moves {TaskApiNames.Stage(prev.ToStage)} → {TaskApiNames.Stage(e.ToStage)}, which {task.Kind} forbids");
            }
        }

        var last = history[^1];
        if (last.Version != task.Version || last.ToStage != task.Stage || last.Status != task.Status || last.Progress != task.Progress)
        {
            Add($"last event (seq {last.Sequence}, v{last.Version}, {last.ToStage}, {last.Progress}%) disagrees with the row (v{task.Version}, {task.Stage}, {task.Progress}%)");
        }

        return found;
    }
}
