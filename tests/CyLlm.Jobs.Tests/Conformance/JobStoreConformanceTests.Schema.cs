using System.Diagnostics.Metrics;
using CyLlm.Jobs.Health;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Migrations, health facts, diagnostics, purging and the read-path consistency check.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public Task Migrations_are_current_idempotent_and_create_every_table() => Scenario(async () =>
    {
        Assert.Equal(JobStoreSchema.CurrentVersion, await Store.GetSchemaVersionAsync());
        Assert.Equal(0, await Store.MigrateAsync());
        await using var other = await OpenSameDatabaseAsync();
        Assert.Equal(JobStoreSchema.CurrentVersion, await other.GetSchemaVersionAsync());
        var info = await Store.GetHealthInfoAsync();
        Assert.Empty(info.MissingTables);
        Assert.Equal(JobStoreSchema.CurrentVersion, info.SchemaVersion);
        Assert.Equal(info.ExpectedSchemaVersion, info.SchemaVersion);
        Assert.Equal(Store.Provider, info.Provider);
    });

    [Fact]
    public Task Diagnostics_report_settings_row_counts_events_leases_and_focus_history() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        await Store.TryAcquireLeaseAsync(t.Id, "w", TimeSpan.FromMinutes(1));
        await Store.AddCheckpointAsync(new CheckpointRecord(t.Id, 1, "/c/1", 1, Sha("1"), Time.GetUtcNow(), "w"));
        await Store.TryBeginIdempotentAsync(TenantA, "k", "h", TimeSpan.FromHours(1));
        for (int i = 0; i < 30; i++)
        {
            await CreateAsync();
        }

        var d = await Store.GetDiagnosticsAsync(t.Id);
        Assert.Equal(JobStoreSchema.Tables.Order(), d.RowCounts.Keys.Order());
        Assert.Equal(31, d.RowCounts["tasks"]);
        Assert.Equal(33, d.RowCounts["task_events"]);
        Assert.Equal(33, d.RecentEvents.Count);
        Assert.Single(d.Checkpoints);
        Assert.Single(d.Leases);
        Assert.Equal(1, d.Idempotency.InProgress);
        Assert.Equal(t.Id, d.FocusTask!.Id);
        Assert.Equal(3, d.FocusHistory.Count);
        Assert.NotEmpty(d.Settings);
        Assert.Equal(JobStoreSchema.CurrentVersion, d.SchemaVersion);
    });

    [Fact]
    public Task Purge_removes_expired_keys_and_leases_of_finished_tasks_only() => Scenario(async () =>
    {
        await Store.TryBeginIdempotentAsync(TenantA, "short", "h", TimeSpan.FromMinutes(1));
        await Store.TryBeginIdempotentAsync(TenantA, "long", "h", TimeSpan.FromDays(1));
        var live = await CreateRunningAsync();
        var done = await CreateRunningAsync();
        await Store.TryAcquireLeaseAsync(live.Id, "w", TimeSpan.FromMinutes(1));
        await Store.TryAcquireLeaseAsync(done.Id, "w", TimeSpan.FromMinutes(1));
        await MoveAsync(done, TaskStage.Succeeded);
        Time.Advance(TimeSpan.FromHours(2));
        var report = await Store.PurgeExpiredAsync();
        Assert.Equal(1, report.IdempotencyKeys);
        Assert.Equal(1, report.Leases);
        Assert.NotNull(await Store.GetLeaseAsync(live.Id));
        Assert.Null(await Store.GetLeaseAsync(done.Id));
        Assert.Equal(1, (await Store.GetDiagnosticsAsync()).Idempotency.Total);
        Assert.Equal(0, (await Store.GetDiagnosticsAsync()).Idempotency.Expired);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task A_row_written_around_the_state_machine_is_counted_on_read_and_by_the_scan() => Scenario(async () =>
    {
        long seen = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (inst, l) =>
        {
            if (inst.Meter.Name == JobsMetrics.MeterName && inst.Name == JobsMetrics.ViolationsCounterName)
            {
                l.EnableMeasurementEvents(inst);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref seen, v));
        listener.Start();

        // Status running with stage succeeded passes every per-row CHECK constraint but breaks the state machine.
        var id = TaskId.New(TaskKind.FineTuning);
        Focus(id);
        long ms = Time.GetUtcNow().ToUnixTimeMilliseconds();
        await ExecuteRawAsync(
            "INSERT INTO tasks (id, tenant_id, kind, stage, status, progress, error_code, error_message, created_at, updated_at, started_at, finished_at, version, input, result) "
            + $"VALUES ('{id}', '{TenantA}', 1, 13, 1, 50, NULL, NULL, {ms}, {ms}, {ms}, NULL, 1, NULL, NULL)");
        var read = await Store.GetTaskAsync(id);
        Assert.NotNull(read);
        Assert.Equal(1, Checker.ViolationCount);
        var v = Assert.Single(Checker.RecentViolations);
        Assert.Equal(id, v.TaskId);
        Assert.Equal(TaskInvariant.StatusStageMismatch, v.Invariant);

        var report = await Checker.ScanAsync(Store);
        Assert.Contains(report.Violations, x => x.TaskId == id && x.Invariant == TaskInvariant.StatusStageMismatch);
        Assert.Contains(report.Violations, x => x.TaskId == id && x.Invariant == TaskInvariant.HistoryInconsistent);
        listener.RecordObservableInstruments();
        Assert.True(Interlocked.Read(ref seen) >= 3, $"metric saw {seen}");

        // A CHECK constraint stops "succeeded at 50%" even from raw SQL.
        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteRawAsync($"UPDATE tasks SET status = 2, finished_at = {ms} WHERE id = '{id}'"));
    });

    [Fact]
    public Task Start_up_health_check_passes_on_a_current_store() => Scenario(async () =>
    {
        var report = await new HealthChecker(new HealthCheckOptions { MinFreeDiskBytes = 1 }).RunAsync(Store);
        Assert.True(report.Healthy, report.Summary());
        Assert.Equal(7, report.Passed);
    });
}
