using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Leases, checkpoints and batch line results.</summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly TimeSpan LeaseFor = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Lease_is_exclusive_until_it_expires_then_a_steal_bumps_the_epoch() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        var a = await Store.TryAcquireLeaseAsync(t.Id, "worker-a", LeaseFor);
        Assert.NotNull(a);
        Assert.Equal(1, a!.Epoch);
        Assert.Equal(Time.GetUtcNow() + LeaseFor, a.ExpiresAt);
        Assert.Null(await Store.TryAcquireLeaseAsync(t.Id, "worker-b", LeaseFor));

        Time.Advance(LeaseFor - TimeSpan.FromMilliseconds(1));
        Assert.Null(await Store.TryAcquireLeaseAsync(t.Id, "worker-b", LeaseFor));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var b = await Store.TryAcquireLeaseAsync(t.Id, "worker-b", LeaseFor);
        Assert.NotNull(b);
        Assert.Equal(2, b!.Epoch);
        Assert.Equal(b, await Store.GetLeaseAsync(t.Id));

        // The old holder is fenced off everywhere.
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.HeartbeatAsync(a, LeaseFor));
        var cp = new CheckpointRecord(t.Id, 1, "/ckpt/1", 10, Sha("1"), Time.GetUtcNow(), "worker-a");
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.AddCheckpointAsync(cp, a));
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.UpdateTaskAsync(TaskStateMachine.ReportProgress(t, 50, Time.GetUtcNow()), t.Version, a));
        Assert.False(await Store.ReleaseLeaseAsync(a));
        Assert.Empty(await Store.ListCheckpointsAsync(t.Id));
        Assert.True(await Store.AddCheckpointAsync(cp with { Owner = "worker-b" }, b));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Heartbeat_extends_a_live_lease_and_fails_once_it_expired() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        var l = (await Store.TryAcquireLeaseAsync(t.Id, "w", LeaseFor))!;
        Time.Advance(TimeSpan.FromSeconds(8));
        var extended = await Store.HeartbeatAsync(l, LeaseFor);
        Assert.Equal(Time.GetUtcNow() + LeaseFor, extended.ExpiresAt);
        Assert.Equal(Time.GetUtcNow(), extended.HeartbeatAt);
        Assert.Equal(l.Epoch, extended.Epoch);
        Time.Advance(TimeSpan.FromSeconds(8));
        Assert.Null(await Store.TryAcquireLeaseAsync(t.Id, "other", LeaseFor));
        Time.Advance(TimeSpan.FromSeconds(3));
        var e = await Assert.ThrowsAsync<LeaseLostException>(() => Store.HeartbeatAsync(extended, LeaseFor));
        Assert.Contains(t.Id.Value, e.Message);

        // Same owner after expiry: a new epoch, so anything fenced by the old one is refused.
        var again = await Store.TryAcquireLeaseAsync(t.Id, "w", LeaseFor);
        Assert.Equal(l.Epoch + 1, again!.Epoch);
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Release_hands_over_and_reacquire_by_the_holder_extends() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        var a = (await Store.TryAcquireLeaseAsync(t.Id, "a", LeaseFor))!;
        Time.Advance(TimeSpan.FromSeconds(1));
        var a2 = (await Store.TryAcquireLeaseAsync(t.Id, "a", LeaseFor))!;
        Assert.Equal(a.Epoch, a2.Epoch);
        Assert.Equal(a.AcquiredAt, a2.AcquiredAt);
        Assert.Equal(Time.GetUtcNow() + LeaseFor, a2.ExpiresAt);
        Assert.True(await Store.ReleaseLeaseAsync(a2));
        Assert.False(await Store.ReleaseLeaseAsync(a2));
        var b = (await Store.TryAcquireLeaseAsync(t.Id, "b", LeaseFor))!;
        Assert.Equal(a.Epoch + 1, b.Epoch);
        await Assert.ThrowsAsync<TaskNotFoundException>(() => Store.TryAcquireLeaseAsync(NewTask().Id, "a", LeaseFor));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.TryAcquireLeaseAsync(t.Id, "a", TimeSpan.Zero));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Concurrent_acquires_have_exactly_one_winner() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        await using var other = await OpenSameDatabaseAsync();
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(() => (i % 2 == 0 ? Store : other).TryAcquireLeaseAsync(t.Id, $"w{i}", LeaseFor))).ToArray();
        var results = await Task.WhenAll(attempts);
        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(winner, await Store.GetLeaseAsync(t.Id));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Checkpoints_are_unique_per_step_idempotent_and_typed() => Scenario(async () =>
    {
        var t = await CreateRunningAsync();
        var cp1 = new CheckpointRecord(t.Id, 100, "/ckpt/100.bin", 4096, Sha("100"), Time.GetUtcNow(), null);
        var cp2 = cp1 with { Step = 200, Path = "/ckpt/200.bin", Sha256 = Sha("200") };
        Assert.True(await Store.AddCheckpointAsync(cp2));
        Assert.True(await Store.AddCheckpointAsync(cp1));
        Assert.False(await Store.AddCheckpointAsync(cp1));
        var e = await Assert.ThrowsAsync<CheckpointConflictException>(() => Store.AddCheckpointAsync(cp1 with { Sha256 = Sha("other") }));
        Assert.Contains("step 100", e.Message);
        Assert.Equal(cp2, await Store.GetLatestCheckpointAsync(t.Id));
        Assert.Equal([cp1, cp2], await Store.ListCheckpointsAsync(t.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AddCheckpointAsync(cp1 with { Sha256 = "not-a-hash" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AddCheckpointAsync(cp1 with { Step = -1 }));
        await Assert.ThrowsAsync<TaskNotFoundException>(() => Store.AddCheckpointAsync(cp1 with { TaskId = NewTask().Id }));
        Assert.Null(await Store.GetLatestCheckpointAsync(NewTask().Id));
        await AssertConsistentAsync();
    });

    [Fact]
    public Task Batch_results_keep_the_first_answer_per_line_and_are_fenced() => Scenario(async () =>
    {
        var t = await CreateAsync(TaskKind.Batch);
        t = await MoveAsync(t, TaskStage.InProgress);
        var lease = (await Store.TryAcquireLeaseAsync(t.Id, "w", LeaseFor))!;
        var r1 = new BatchLineResult(t.Id, 1, "req-1", 200, "{\"ok\":1}", null, null, Time.GetUtcNow());
        var r0 = new BatchLineResult(t.Id, 0, "req-0", 400, "{\"error\":\"bad\"}", "request_failed", "status 400", Time.GetUtcNow());
        Assert.True(await Store.RecordBatchResultAsync(r1, lease));
        Assert.True(await Store.RecordBatchResultAsync(r0, lease));
        Assert.False(await Store.RecordBatchResultAsync(r1 with { ResponseBody = "{\"ok\":2}" }, lease));
        Assert.Equal([r0, r1], await Store.ListBatchResultsAsync(t.Id));
        Assert.False(r0.Succeeded);
        Assert.True(r1.Succeeded);
        Time.Advance(LeaseFor);
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.RecordBatchResultAsync(r1 with { LineIndex = 2 }, lease));
        Assert.Equal(2, (await Store.ListBatchResultsAsync(t.Id)).Count);
        await AssertConsistentAsync();
    });
}
