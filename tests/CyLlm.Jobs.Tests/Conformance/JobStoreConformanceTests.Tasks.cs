using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Tasks: create, read, tenant isolation, listing, compare-and-set updates, transitions, history.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Create_then_get_round_trips_every_field() => Scenario(async () =>
    {
        var t = NewTask(TaskKind.Batch, TenantA, "{\"input_file_id\":\"file-1\"}");
        var stored = await Store.CreateTaskAsync(t);
        Focus(t.Id);
        var read = await Store.GetTaskAsync(t.Id);
        Assert.Equal(stored, read);
        Assert.Equal(TaskStage.Validating, read!.Stage);
        Assert.Equal(TaskStatus.Queued, read.Status);
        Assert.Equal(1, read.Version);
        Assert.Equal("{\"input_file_id\":\"file-1\"}", read.Input);
        Assert.Equal(Time.GetUtcNow(), read.CreatedAt);
        var history = await Store.GetTaskHistoryAsync(t.Id);
        Assert.Single(history);
        Assert.Null(history[0].FromStage);
        Assert.Equal(TaskStage.Validating, history[0].ToStage);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Create_rejects_a_duplicate_id_and_non_initial_records() => Scenario(async () =>
    {
        var t = await CreateAsync();
        await Assert.ThrowsAsync<DuplicateTaskException>(() => Store.CreateTaskAsync(t));
        var running = NewTask() with { Stage = TaskStage.Running, Status = TaskStatus.Running, StartedAt = Time.GetUtcNow() };
        var e = await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.CreateTaskAsync(running));
        Assert.Contains("must start in validating_files", e.Message);
        var mismatched = NewTask() with { Status = TaskStatus.Running };
        await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.CreateTaskAsync(mismatched));
        Assert.Null(await Store.GetTaskAsync(running.Id));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Tenants_never_see_each_others_tasks() => Scenario(async () =>
    {
        var a = await CreateAsync(TaskKind.FineTuning, TenantA);
        var b = await CreateAsync(TaskKind.FineTuning, TenantB);
        Assert.NotNull(await Store.GetTaskForTenantAsync(TenantA, a.Id));
        Assert.Null(await Store.GetTaskForTenantAsync(TenantA, b.Id));
        Assert.Null(await Store.GetTaskForTenantAsync(TenantB, a.Id));
        var listA = await Store.ListTasksAsync(TenantA);
        Assert.Equal([a.Id], listA.Select(t => t.Id));
        var listB = await Store.ListTasksAsync(TenantB);
        Assert.Equal([b.Id], listB.Select(t => t.Id));
        Assert.Empty(await Store.ListTasksAsync(TenantA, after: b.Id));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task List_pages_newest_first_and_filters_by_kind() => Scenario(async () =>
    {
        var created = new List<TaskRecord>();
        for (int i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync(i % 2 == 0 ? TaskKind.FineTuning : TaskKind.Batch));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page1 = await Store.ListTasksAsync(TenantA, limit: 2);
        Assert.Equal([created[4].Id, created[3].Id], page1.Select(t => t.Id));
        var page2 = await Store.ListTasksAsync(TenantA, limit: 2, after: page1[^1].Id);
        Assert.Equal([created[2].Id, created[1].Id], page2.Select(t => t.Id));
        var batches = await Store.ListTasksAsync(TenantA, TaskKind.Batch);
        Assert.Equal([created[3].Id, created[1].Id], batches.Select(t => t.Id));
        var scan = await Store.ScanTasksAsync(null, 3);
        var rest = await Store.ScanTasksAsync(scan[^1].Id, 10);
        Assert.Equal(created.Select(t => t.Id).Order(), scan.Concat(rest).Select(t => t.Id));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListTasksAsync(TenantA, limit: 0));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Fine_tuning_lifecycle_through_the_store_keeps_history_and_invariants() => Scenario(async () =>
    {
        var t = await CreateAsync();
        Time.Advance(TimeSpan.FromSeconds(1));
        t = await MoveAsync(t, TaskStage.Queued);
        Time.Advance(TimeSpan.FromSeconds(1));
        t = await MoveAsync(t, TaskStage.Running);
        Assert.Equal(Time.GetUtcNow(), t.StartedAt);
        for (int p = 10; p <= 90; p += 40)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            t = await Store.UpdateTaskAsync(TaskStateMachine.ReportProgress(t, p, Time.GetUtcNow()), t.Version, message: "progress");
        }

        t = await MoveAsync(t, TaskStage.Succeeded);
        Assert.Equal(TaskStatus.Succeeded, t.Status);
        Assert.Equal(100, t.Progress);
        Assert.Equal(Time.GetUtcNow(), t.FinishedAt);
        Assert.Equal(t, await Store.GetTaskAsync(t.Id));
        var history = await Store.GetTaskHistoryAsync(t.Id);
        Assert.Equal([TaskStage.ValidatingFiles, TaskStage.Queued, TaskStage.Running, TaskStage.Running, TaskStage.Running, TaskStage.Running, TaskStage.Succeeded],
            history.Select(e => e.ToStage));
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), history.Select(e => e.Version));
        Assert.Empty(TaskConsistencyChecker.ValidateHistory(t, history));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_lifecycle_through_cancelling_to_cancelled() => Scenario(async () =>
    {
        var t = await CreateAsync(TaskKind.Batch);
        t = await MoveAsync(t, TaskStage.InProgress);
        t = await Store.UpdateTaskAsync(TaskStateMachine.RequestCancel(t, Time.GetUtcNow()), t.Version);
        Assert.Equal(TaskStage.Cancelling, t.Stage);
        Assert.Equal(TaskStatus.Running, t.Status);
        t = await MoveAsync(t, TaskStage.Cancelled);
        Assert.Equal(TaskStatus.Cancelled, t.Status);
        Assert.True(t.IsTerminal);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Stale_version_update_is_a_conflict_and_changes_nothing() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        var first = await Store.UpdateTaskAsync(TaskStateMachine.ReportProgress(t, 30, Time.GetUtcNow()), t.Version);
        var e = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Store.UpdateTaskAsync(TaskStateMachine.ReportProgress(t, 60, Time.GetUtcNow()), t.Version));
        Assert.Equal(t.Version, e.ExpectedVersion);
        Assert.Equal(first.Version, e.ActualVersion);
        Assert.Equal(first, await Store.GetTaskAsync(t.Id));
        Assert.Equal(first.Version, (await Store.GetTaskHistoryAsync(t.Id)).Count);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Concurrent_writers_on_two_store_instances_never_lose_an_update() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        await using var other = await OpenSameDatabaseAsync();
        const int Writers = 8, Each = 5;
        int applied = 0;
        var work = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var store = w % 2 == 0 ? Store : other;
            for (int i = 0; i < Each; i++)
            {
                await store.UpdateTaskAsync(t.Id, cur =>
                {
                    // Progress counts accepted updates: a lost update would show as a lower final value.
                    return TaskStateMachine.ReportProgress(cur, cur.Progress + 1, Time.GetUtcNow());
                }, message: $"writer {w}", maxAttempts: 1000);
                Interlocked.Increment(ref applied);
            }
        })).ToArray();
        await Task.WhenAll(work);
        var final = await Store.GetTaskAsync(t.Id);
        Assert.Equal(Writers * Each, final!.Progress);
        Assert.Equal(t.Version + (Writers * Each), final.Version);
        Assert.Equal(final.Version, (await Store.GetTaskHistoryAsync(t.Id)).Count);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Illegal_changes_are_refused_by_the_store_even_when_built_by_hand() => Scenario(async () =>
    {
        var t = await CreateAsync();
        t = await MoveAsync(t, TaskStage.Queued);

        // queued → succeeded skips running.
        var skip = t with { Stage = TaskStage.Succeeded, Status = TaskStatus.Succeeded, Progress = 100, StartedAt = t.UpdatedAt, FinishedAt = t.UpdatedAt };
        var e1 = await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.UpdateTaskAsync(skip, t.Version));
        Assert.Equal(TaskInvariant.IllegalStageChange, e1.Rule);

        // failed without an error.
        var noError = t with { Stage = TaskStage.Failed, Status = TaskStatus.Failed, FinishedAt = t.UpdatedAt };
        var e2 = await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.UpdateTaskAsync(noError, t.Version));
        Assert.Equal(TaskInvariant.FailedWithoutError, e2.Rule);

        // progress while queued.
        var progress = t with { Progress = 5 };
        await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.UpdateTaskAsync(progress, t.Version));

        // a terminal task never moves again, not even to set progress.
        t = await MoveAsync(t, TaskStage.Cancelled);
        var revive = t with { Stage = TaskStage.Running, Status = TaskStatus.Running, FinishedAt = null, StartedAt = t.UpdatedAt };
        var e3 = await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.UpdateTaskAsync(revive, t.Version));
        Assert.Equal(TaskInvariant.TerminalMoved, e3.Rule);
        Assert.Equal(t, await Store.GetTaskAsync(t.Id));

        var ghost = NewTask();
        await Assert.ThrowsAsync<TaskNotFoundException>(() => Store.UpdateTaskAsync(ghost, 1));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Failure_requires_and_keeps_the_error() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        t = await MoveAsync(t, TaskStage.Failed, new TaskError("oom", "out of memory at step 12"));
        var read = await Store.GetTaskAsync(t.Id);
        Assert.Equal(new TaskError("oom", "out of memory at step 12"), read!.Error);
        Assert.Equal(TaskStatus.Failed, read.Status);
        Assert.NotNull(read.FinishedAt);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Resumable_tasks_are_live_and_unleased_and_recent_events_are_newest_first() => Scenario(async () =>
    {
        var leased = await CreateRunningAsync();
        var free = await CreateRunningAsync();
        var done = await CreateRunningAsync();
        done = await MoveAsync(done, TaskStage.Succeeded);
        Assert.NotNull(await Store.TryAcquireLeaseAsync(leased.Id, "w1", TimeSpan.FromSeconds(30)));
        var resumable = await Store.ListResumableTasksAsync(TaskKind.FineTuning, 10);
        Assert.Equal([free.Id], resumable.Select(t => t.Id));
        Time.Advance(TimeSpan.FromSeconds(31));
        resumable = await Store.ListResumableTasksAsync(null, 10);
        Assert.Equal(new[] { leased.Id, free.Id }.Order(), resumable.Select(t => t.Id).Order());
        var recent = await Store.GetRecentEventsAsync(2);
        Assert.Equal(2, recent.Count);
        Assert.True(recent[0].Sequence > recent[1].Sequence);
        Assert.Equal(done.Id, recent[0].TaskId);
        await AssertConsistentAsync();
    });
}
