using System.Text;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>Idempotency keys: new, replay, conflict, in progress, abandon, expiry, tenant scope, concurrency.</summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly TimeSpan KeyTtl = TimeSpan.FromHours(24);

    [Fact]
    public Task Idempotency_new_then_replay_then_conflict() => Scenario(async () =>
    {
        var begin = await Store.TryBeginIdempotentAsync(TenantA, "key-1", "hash-1", KeyTtl);
        Assert.Equal(IdempotencyOutcome.New, begin.Outcome);
        Assert.Equal(Time.GetUtcNow() + KeyTtl, begin.ExpiresAt);
        Assert.Equal(IdempotencyOutcome.InProgress, (await Store.TryBeginIdempotentAsync(TenantA, "key-1", "hash-1", KeyTtl)).Outcome);
        Assert.True(await Store.CompleteIdempotentAsync(TenantA, "key-1", "hash-1", 201, "{\"id\":\"ftjob-1\"}"));
        Assert.False(await Store.CompleteIdempotentAsync(TenantA, "key-1", "hash-1", 201, "{}"));
        var replay = await Store.TryBeginIdempotentAsync(TenantA, "key-1", "hash-1", KeyTtl);
        Assert.Equal(IdempotencyOutcome.Replay, replay.Outcome);
        Assert.Equal(201, replay.StatusCode);
        Assert.Equal("{\"id\":\"ftjob-1\"}", replay.Response);
        Assert.Equal(IdempotencyOutcome.Conflict, (await Store.TryBeginIdempotentAsync(TenantA, "key-1", "hash-2", KeyTtl)).Outcome);

        // Keys are per tenant: the same key is new for another tenant.
        Assert.Equal(IdempotencyOutcome.New, (await Store.TryBeginIdempotentAsync(TenantB, "key-1", "hash-2", KeyTtl)).Outcome);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryBeginIdempotentAsync(TenantA, "", "h", KeyTtl));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryBeginIdempotentAsync(TenantA, new string('k', 256), "h", KeyTtl));
    });

    [Fact]
    public Task Idempotency_keys_expire_and_abandoned_requests_release_them() => Scenario(async () =>
    {
        await Store.TryBeginIdempotentAsync(TenantA, "k", "h1", TimeSpan.FromMinutes(5));
        await Store.CompleteIdempotentAsync(TenantA, "k", "h1", 200, "first");
        Time.Advance(TimeSpan.FromMinutes(5));
        var again = await Store.TryBeginIdempotentAsync(TenantA, "k", "h2", TimeSpan.FromMinutes(5));
        Assert.Equal(IdempotencyOutcome.New, again.Outcome);

        // A failed request gives its key back.
        Assert.True(await Store.AbandonIdempotentAsync(TenantA, "k", "h2"));
        Assert.False(await Store.AbandonIdempotentAsync(TenantA, "k", "h2"));
        Assert.Equal(IdempotencyOutcome.New, (await Store.TryBeginIdempotentAsync(TenantA, "k", "h3", TimeSpan.FromHours(1))).Outcome);

        // A crashed request (in progress past the timeout) is taken over.
        Assert.Equal(IdempotencyOutcome.InProgress, (await Store.TryBeginIdempotentAsync(TenantA, "k", "h3", TimeSpan.FromHours(1))).Outcome);
        Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(IdempotencyOutcome.New, (await Store.TryBeginIdempotentAsync(TenantA, "k", "h3", TimeSpan.FromHours(1))).Outcome);

        var stats = (await Store.GetDiagnosticsAsync()).Idempotency;
        Assert.Equal(1, stats.Total);
        Assert.Equal(1, stats.InProgress);
    });

    [Fact]
    public Task Fifty_concurrent_creates_with_one_key_create_one_task() => Scenario(async () =>
    {
        await using var other = await OpenSameDatabaseAsync();
        string hash = IdempotentRequest.Hash("POST", "/v1/fine_tuning/jobs", Encoding.UTF8.GetBytes("{\"model\":\"m\"}"));
        int creations = 0;
        var clients = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? Store : other;
            while (true)
            {
                try
                {
                    return await IdempotentRequest.ExecuteAsync(store, TenantA, "create-once", hash, KeyTtl, async ct =>
                    {
                        Interlocked.Increment(ref creations);
                        var t = await store.CreateTaskAsync(NewTask(), ct);
                        return (201, t.Id.Value);
                    });
                }
                catch (IdempotencyKeyException e) when (e.Outcome == IdempotencyOutcome.InProgress)
                {
                    await Task.Delay(2);
                }
            }
        })).ToArray();
        var results = await Task.WhenAll(clients);
        Assert.Equal(1, creations);
        Assert.Single(results, r => !r.Replayed);
        Assert.Single(results.Select(r => r.Body).Distinct());
        var tasks = await Store.ListTasksAsync(TenantA, limit: 100);
        Assert.Equal(results[0].Body, Assert.Single(tasks).Id.Value);

        var conflict = await Assert.ThrowsAsync<IdempotencyKeyException>(() =>
            IdempotentRequest.ExecuteAsync(Store, TenantA, "create-once", "different-body", KeyTtl, _ => Task.FromResult((201, "x"))));
        Assert.Equal(IdempotencyOutcome.Conflict, conflict.Outcome);
        await AssertConsistentAsync();
    });
}
