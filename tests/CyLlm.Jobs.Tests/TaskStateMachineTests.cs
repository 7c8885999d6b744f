namespace CyLlm.Jobs.Tests;

public sealed class TaskStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Persisted_numeric_values_are_frozen()
    {
        // These numbers are stored in every database; changing one corrupts existing rows.
        Assert.Equal([0, 1, 2, 3, 4], Enum.GetValues<TaskStatus>().Select(s => (int)s));
        Assert.Equal(["Queued", "Running", "Succeeded", "Failed", "Cancelled"], Enum.GetNames<TaskStatus>());
        Assert.Equal([1, 2, 3, 4, 5], Enum.GetValues<TaskKind>().Select(k => (int)k));
        Assert.Equal(
            [(10, "ValidatingFiles"), (11, "Queued"), (12, "Running"), (13, "Succeeded"), (14, "Failed"), (15, "Cancelled"),
             (20, "Validating"), (21, "InProgress"), (22, "Finalizing"), (23, "Completed"), (24, "Expired"), (25, "Cancelling")],
            Enum.GetValues<TaskStage>().Select(s => ((int)s, s.ToString())));
    }

    [Theory]
    [InlineData(TaskKind.FineTuning, "validating_files,queued,running,succeeded,failed,cancelled")]
    [InlineData(TaskKind.Batch, "validating,in_progress,finalizing,completed,failed,expired,cancelling,cancelled")]
    [InlineData(TaskKind.Transfer, "queued,running,succeeded,failed,cancelled")]
    [InlineData(TaskKind.ModelPull, "queued,running,succeeded,failed,cancelled")]
    public void Each_kind_uses_its_own_api_words(TaskKind kind, string words)
    {
        var stages = TaskStateMachine.StagesOf(kind);
        Assert.Equal(words.Split(','), stages.Select(TaskApiNames.Stage));
        foreach (var s in stages)
        {
            Assert.Equal(s, TaskApiNames.ParseStage(kind, TaskApiNames.Stage(s)));
        }

        Assert.Contains("expected one of", Assert.Throws<FormatException>(() => TaskApiNames.ParseStage(kind, "done")).Message);
    }

    [Theory]
    [InlineData(TaskKind.FineTuning, TaskStage.ValidatingFiles, TaskStatus.Queued)]
    [InlineData(TaskKind.FineTuning, TaskStage.Running, TaskStatus.Running)]
    [InlineData(TaskKind.FineTuning, TaskStage.Succeeded, TaskStatus.Succeeded)]
    [InlineData(TaskKind.Batch, TaskStage.Validating, TaskStatus.Queued)]
    [InlineData(TaskKind.Batch, TaskStage.InProgress, TaskStatus.Running)]
    [InlineData(TaskKind.Batch, TaskStage.Finalizing, TaskStatus.Running)]
    [InlineData(TaskKind.Batch, TaskStage.Cancelling, TaskStatus.Running)]
    [InlineData(TaskKind.Batch, TaskStage.Completed, TaskStatus.Succeeded)]
    [InlineData(TaskKind.Batch, TaskStage.Expired, TaskStatus.Failed)]
    [InlineData(TaskKind.Batch, TaskStage.Cancelled, TaskStatus.Cancelled)]
    public void Status_is_a_function_of_kind_and_stage(TaskKind kind, TaskStage stage, TaskStatus status) =>
        Assert.Equal(status, TaskStateMachine.StatusOf(kind, stage));

    [Fact]
    public void Fine_tuning_happy_path_sets_times_progress_and_api_status()
    {
        var t = TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "acme", T0);
        Assert.Equal("validating_files", TaskApiNames.OpenAiStatus(t));
        t = TaskStateMachine.MoveTo(t, TaskStage.Queued, T0.AddSeconds(1));
        t = TaskStateMachine.MoveTo(t, TaskStage.Running, T0.AddSeconds(2));
        Assert.Equal(T0.AddSeconds(2), t.StartedAt);
        t = TaskStateMachine.ReportProgress(t, 42, T0.AddSeconds(3));
        Assert.Equal(42, t.Progress);
        t = TaskStateMachine.MoveTo(t, TaskStage.Succeeded, T0.AddSeconds(4), result: "{\"fine_tuned_model\":\"m\"}");
        Assert.Equal(100, t.Progress);
        Assert.Equal(T0.AddSeconds(4), t.FinishedAt);
        Assert.Equal(T0.AddSeconds(2), t.StartedAt);
        Assert.Equal("succeeded", TaskApiNames.OpenAiStatus(t));
        Assert.Equal("{\"fine_tuned_model\":\"m\"}", t.Result);
        Assert.True(t.IsTerminal);
        Assert.Empty(TaskConsistencyChecker.Validate(t));
    }

    [Fact]
    public void Batch_happy_path_and_cancel_go_through_their_stages()
    {
        var t = TaskStateMachine.Create(TaskId.New(TaskKind.Batch), "acme", T0);
        t = TaskStateMachine.MoveTo(t, TaskStage.InProgress, T0);
        t = TaskStateMachine.MoveTo(t, TaskStage.Finalizing, T0);
        t = TaskStateMachine.MoveTo(t, TaskStage.Completed, T0);
        Assert.Equal("completed", TaskApiNames.OpenAiStatus(t));

        var c = TaskStateMachine.Create(TaskId.New(TaskKind.Batch), "acme", T0);
        c = TaskStateMachine.RequestCancel(c, T0);
        Assert.Equal(TaskStage.Cancelling, c.Stage);
        c = TaskStateMachine.RequestCancel(c, T0);
        Assert.Equal(TaskStage.Cancelled, c.Stage);
        var f = TaskStateMachine.RequestCancel(TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "acme", T0), T0);
        Assert.Equal(TaskStage.Cancelled, f.Stage);
        Assert.Null(f.StartedAt);
        Assert.Empty(TaskConsistencyChecker.Validate(f));
    }

    [Fact]
    public void Every_illegal_move_throws_with_the_rule_it_breaks()
    {
        var ft = TaskStateMachine.Create(TaskId.New(TaskKind.FineTuning), "acme", T0);
        Assert.Equal(TaskInvariant.StageNotInKind, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(ft, TaskStage.InProgress, T0)).Rule);
        Assert.Equal(TaskInvariant.IllegalStageChange, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(ft, TaskStage.Succeeded, T0)).Rule);
        Assert.Equal(TaskInvariant.IllegalStageChange, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(ft, TaskStage.ValidatingFiles, T0)).Rule);
        Assert.Equal(TaskInvariant.FailedWithoutError, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(ft, TaskStage.Failed, T0)).Rule);
        Assert.Equal(TaskInvariant.ErrorWithoutFailure, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(ft, TaskStage.Queued, T0, new TaskError("x", "y"))).Rule);
        Assert.Equal(TaskInvariant.ProgressWhileNotRunning, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.ReportProgress(ft, 10, T0)).Rule);
        var running = TaskStateMachine.MoveTo(TaskStateMachine.MoveTo(ft, TaskStage.Queued, T0), TaskStage.Running, T0);
        Assert.Equal(TaskInvariant.ProgressOutOfRange, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.ReportProgress(running, 101, T0)).Rule);
        Assert.Equal(TaskInvariant.ProgressOutOfRange, Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.ReportProgress(running, -1, T0)).Rule);
        var failed = TaskStateMachine.Fail(running, new TaskError("oom", "out of memory"), T0);
        var e = Assert.Throws<IllegalTransitionException>(() => TaskStateMachine.MoveTo(failed, TaskStage.Running, T0));
        Assert.Equal(TaskInvariant.TerminalMoved, e.Rule);
        Assert.Contains("terminal", e.Message);
        Assert.Equal(failed.Id, e.TaskId);
    }

    [Fact]
    public void A_clock_that_goes_backwards_never_reorders_timestamps()
    {
        var t = TaskStateMachine.Create(TaskId.New(TaskKind.Transfer), "acme", T0);
        t = TaskStateMachine.MoveTo(t, TaskStage.Running, T0.AddSeconds(-5));
        Assert.Equal(T0, t.StartedAt);
        Assert.Equal(T0, t.UpdatedAt);
        Assert.Empty(TaskConsistencyChecker.Validate(t));
    }

    [Fact]
    public void The_transition_table_matches_the_documented_diagrams()
    {
        int checkedPairs = 0;
        foreach (var kind in Enum.GetValues<TaskKind>())
        {
            foreach (var from in Enum.GetValues<TaskStage>())
            {
                foreach (var to in Enum.GetValues<TaskStage>())
                {
                    Assert.True(ReferenceModel.CanMove(kind, from, to) == TaskStateMachine.CanMove(kind, from, to), $"{kind}: {from} → {to}");
                    checkedPairs++;
                }
            }
        }

        Assert.Equal(5 * 12 * 12, checkedPairs);
    }
}
