namespace CyLlm.Jobs.Tests;

public sealed class ConsistencyCheckerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TaskRecord Running()
    {
        var t = TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "acme", T0);
        return TaskStateMachine.MoveTo(TaskStateMachine.MoveTo(t, TaskStage.Queued, T0), TaskStage.Running, T0.AddSeconds(1));
    }

    public static TheoryData<string, TaskInvariant> Corruptions() => new()
    {
        { "status-stage", TaskInvariant.StatusStageMismatch },
        { "stage-kind", TaskInvariant.StageNotInKind },
        { "progress", TaskInvariant.ProgressOutOfRange },
        { "succeeded-partial", TaskInvariant.SucceededWithoutFullProgress },
        { "failed-no-error", TaskInvariant.FailedWithoutError },
        { "error-not-failed", TaskInvariant.ErrorWithoutFailure },
        { "queued-started", TaskInvariant.QueuedButStarted },
        { "running-no-start", TaskInvariant.StartedWithoutStartTime },
        { "terminal-no-finish", TaskInvariant.FinishTimeMismatch },
        { "time-order", TaskInvariant.TimestampsOutOfOrder },
        { "version", TaskInvariant.VersionNotPositive },
        { "identity", TaskInvariant.IdentityMismatch },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Each_invariant_is_detected_with_the_task_id(string corruption, TaskInvariant rule)
    {
        var t = Running();
        var bad = corruption switch
        {
            "status-stage" => t with { Status = TaskStatus.Succeeded },
            "stage-kind" => t with { Stage = TaskStage.InProgress },
            "progress" => t with { Progress = 101 },
            "succeeded-partial" => t with { Stage = TaskStage.Succeeded, Status = TaskStatus.Succeeded, Progress = 99, FinishedAt = t.UpdatedAt },
            "failed-no-error" => t with { Stage = TaskStage.Failed, Status = TaskStatus.Failed, FinishedAt = t.UpdatedAt },
            "error-not-failed" => t with { Error = new TaskError("x", "y") },
            "queued-started" => t with { Stage = TaskStage.Queued, Status = TaskStatus.Queued },
            "running-no-start" => t with { StartedAt = null },
            "terminal-no-finish" => t with { Stage = TaskStage.Cancelled, Status = TaskStatus.Cancelled },
            "time-order" => t with { UpdatedAt = T0.AddSeconds(-1) },
            "version" => t with { Version = 0 },
            "identity" => t with { Kind = TaskKind.Batch, Stage = TaskStage.InProgress },
            _ => throw new ArgumentOutOfRangeException(nameof(corruption)),
        };
        Assert.Empty(TaskConsistencyChecker.Validate(t));
        var checker = new TaskConsistencyChecker();
        var found = checker.Observe(bad);
        Assert.Contains(found, v => v.Invariant == rule && v.TaskId == t.Id);
        Assert.Equal(found.Count, checker.ViolationCount);
        Assert.Contains(t.Id.Value, checker.RecentViolations[0].ToString());
    }

    [Fact]
    public void Unknown_kind_is_reported_instead_of_crashing()
    {
        var t = Running() with { Kind = (TaskKind)99 };
        Assert.Equal(TaskInvariant.IdentityMismatch, Assert.Single(TaskConsistencyChecker.Validate(t)).Invariant);
    }

    [Fact]
    public void Transition_checks_catch_identity_changes_and_moves_out_of_terminal_stages()
    {
        var t = Running();
        Assert.Contains(TaskConsistencyChecker.ValidateTransition(t, t with { TenantId = "other" }), v => v.Invariant == TaskInvariant.IdentityChanged);
        Assert.Contains(TaskConsistencyChecker.ValidateTransition(t, t with { StartedAt = T0.AddSeconds(2), UpdatedAt = T0.AddSeconds(2) }), v => v.Invariant == TaskInvariant.StartTimeChanged);
        var done = TaskStateMachine.MoveTo(t, TaskStage.Succeeded, T0.AddSeconds(5));
        Assert.Contains(TaskConsistencyChecker.ValidateTransition(done, done with { Result = "x" }), v => v.Invariant == TaskInvariant.TerminalMoved);
    }

    [Fact]
    public void History_checks_find_gaps_illegal_moves_events_after_the_end_and_a_stale_row()
    {
        var t = Running();
        TaskEvent E(long seq, TaskStage? from, TaskStage to, TaskStatus st, long v) => new(seq, t.Id, T0, from, to, st, 0, v, null);
        var good = new List<TaskEvent>
        {
            E(1, null, TaskStage.ValidatingFiles, TaskStatus.Queued, 1),
            E(2, TaskStage.ValidatingFiles, TaskStage.Queued, TaskStatus.Queued, 2),
            E(3, TaskStage.Queued, TaskStage.Running, TaskStatus.Running, 3),
        };
        var row = t with { Version = 3 };
        Assert.Empty(TaskConsistencyChecker.ValidateHistory(row, good));
        var gap = new List<TaskEvent>(good) { [2] = good[2] with { Version = 4 } };
        Assert.Contains("version 4 after 2", Assert.Single(TaskConsistencyChecker.ValidateHistory(row with { Version = 4 }, gap)).Message);
        var skip = new List<TaskEvent> { good[0], E(2, TaskStage.ValidatingFiles, TaskStage.Running, TaskStatus.Running, 2) };
        Assert.Contains(TaskConsistencyChecker.ValidateHistory(row with { Version = 2 }, skip), v => v.Message.Contains("forbids"));
        var after = new List<TaskEvent>(good) { E(4, TaskStage.Running, TaskStage.Cancelled, TaskStatus.Cancelled, 4), E(5, TaskStage.Cancelled, TaskStage.Running, TaskStatus.Running, 5) };
        Assert.Contains(TaskConsistencyChecker.ValidateHistory(row with { Version = 5 }, after), v => v.Message.Contains("follows terminal"));
        Assert.Contains(TaskConsistencyChecker.ValidateHistory(row with { Version = 9 }, good), v => v.Message.Contains("disagrees with the row"));
        Assert.NotEmpty(TaskConsistencyChecker.ValidateHistory(row, []));
    }

    [Fact]
    public void Checker_keeps_the_latest_hundred_violations_and_calls_back()
    {
        int calls = 0;
        var checker = new TaskConsistencyChecker(_ => calls++);
        var bad = Running() with { Progress = 500 };
        for (int i = 0; i < 150; i++)
        {
            checker.Observe(bad);
        }

        Assert.Equal(150, checker.ViolationCount);
        Assert.Equal(150, calls);
        Assert.Equal(100, checker.RecentViolations.Count);
    }
}
