using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>
/// The engine-worker pool without processes: prefix affinity within the load limit with down workers left out, and the
/// heartbeat state machine (down after N missed polls, its in-flight requests' token cancelled, back up on an answer),
/// driven poll by poll through <see cref="WorkerPool.PollOnceAsync"/> with a stub handler and a hand-moved clock.
/// </summary>
public sealed class WorkerPoolTests
{
    private static readonly string[] Urls = ["http://10.0.0.1:8081", "http://10.0.0.2:8081", "http://10.0.0.3:8081"];

    [Fact]
    public void The_same_prefix_goes_to_the_same_worker_and_down_or_busy_workers_give_way()
    {
        using var pool = Pool(new StubWorkerHandler(), out _);
        int[] prompt = [.. Enumerable.Range(1, 300)];
        ulong key = PrefixAffinity.KeyOf(prompt);
        var preferred = pool.Pick(key)!;
        Assert.Same(preferred, pool.Pick(key));
        // Only the first 256 tokens count: a different tail keeps the worker (same system prompt, different question).
        Assert.Same(preferred, pool.Pick(PrefixAffinity.KeyOf([.. prompt[..256], 7, 7, 7])));

        // Different prefixes spread over all workers.
        var chosen = Enumerable.Range(0, 60).Select(i => pool.Pick(PrefixAffinity.KeyOf([i, i + 1, i + 2]))!.Url).ToHashSet();
        Assert.Equal(Urls.Length, chosen.Count);

        // Load: SpillOver requests in flight beyond the least busy keep the preference; one more moves the request.
        var leases = Enumerable.Range(0, PrefixAffinity.SpillOver).Select(_ => preferred.Acquire()).ToList();
        Assert.Same(preferred, pool.Pick(key));
        leases.Add(preferred.Acquire());
        var second = pool.Pick(key)!;
        Assert.NotSame(preferred, second);
        leases.ForEach(l => l.Dispose());
        Assert.Same(preferred, pool.Pick(key));

        // A down worker gets nothing; its prefixes move, the others' stay.
        Assert.True(pool.Workers.Single(w => w == preferred).MarkDown("test"));
        for (int i = 0; i < 60; i++)
        {
            Assert.NotSame(preferred, pool.Pick(PrefixAffinity.KeyOf([i, i + 1, i + 2])));
        }

        Assert.Same(second, pool.Pick(key));
        // Excluded (already tried) workers are skipped too; none left is null.
        Assert.NotSame(second, pool.Pick(key, allowed: w => w != second));
        Assert.Null(pool.Pick(key, allowed: w => w == preferred));
    }

    [Fact]
    public async Task The_workers_own_queue_counts_as_load_and_an_adapter_goes_where_it_is_loaded()
    {
        var handler = new StubWorkerHandler();
        using var pool = Pool(handler, out _);
        ulong key = PrefixAffinity.KeyOf([5, 6, 7]);
        var preferred = pool.Pick(key)!;
        foreach (string url in Urls)
        {
            handler.Set(url, new WorkerStatusReport { Model = "m", Running = url == preferred.Url ? 10 : 0, Adapters = url == Urls[2] ? ["sql"] : [] });
        }

        await pool.PollOnceAsync(CancellationToken.None);
        Assert.Equal(10, preferred.Load);
        Assert.NotSame(preferred, pool.Pick(key)); // 10 running there (other gateways' requests): beyond the spill-over
        Assert.Equal(Urls[2], pool.Pick(key, "sql")!.Url);
        Assert.Equal(Urls[2], pool.Pick(PrefixAffinity.KeyOf([1]), "sql")!.Url);
        // An adapter no worker reports goes by affinity (the worker then answers 404 for it).
        Assert.NotNull(pool.Pick(key, "missing"));
    }

    [Fact]
    public async Task A_worker_is_down_after_N_missed_heartbeats_and_up_again_when_it_answers()
    {
        var handler = new StubWorkerHandler();
        using var pool = Pool(handler, out var clock);
        foreach (string url in Urls)
        {
            handler.Set(url, new WorkerStatusReport { Model = "m" });
        }

        await pool.PollOnceAsync(CancellationToken.None);
        var worker = pool.Workers[1];
        Assert.True(worker.IsUp);
        Assert.Equal(clock.GetUtcNow(), worker.Snapshot().LastHeartbeat);
        var inFlight = worker.DownToken;

        handler.Set(worker.Url, null); // stops answering
        for (int miss = 1; miss < 3; miss++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await pool.PollOnceAsync(CancellationToken.None);
            Assert.True(worker.IsUp, $"still up after {miss} missed heartbeat(s)");
            Assert.Equal(miss, worker.Snapshot().ConsecutiveMisses);
            Assert.False(inFlight.IsCancellationRequested);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        await pool.PollOnceAsync(CancellationToken.None);
        var down = worker.Snapshot();
        Assert.Equal("down", down.State);
        Assert.Equal(3, down.ConsecutiveMisses);
        Assert.Contains("Connection refused", down.LastError, StringComparison.Ordinal);
        Assert.True(inFlight.IsCancellationRequested, "the down worker's in-flight requests are cancelled at once");
        Assert.Equal(clock.GetUtcNow() - TimeSpan.FromSeconds(3), down.LastHeartbeat);
        Assert.All(pool.Workers.Where(w => w != worker), w => Assert.True(w.IsUp));

        // More misses change nothing; one answer brings it back with a fresh token.
        await pool.PollOnceAsync(CancellationToken.None);
        Assert.False(worker.IsUp);
        handler.Set(worker.Url, new WorkerStatusReport { Model = "m", Waiting = 2 });
        clock.Advance(TimeSpan.FromSeconds(1));
        await pool.PollOnceAsync(CancellationToken.None);
        var back = worker.Snapshot();
        Assert.Equal("up", back.State);
        Assert.Equal(0, back.ConsecutiveMisses);
        Assert.Null(back.LastError);
        Assert.Equal(2, back.Queue);
        Assert.False(worker.DownToken.IsCancellationRequested);

        // A request that finds it dead (connection refused) marks it down at once, without waiting for heartbeats.
        pool.ReportDead(worker, "Connection refused");
        Assert.False(worker.IsUp);
        Assert.Equal(6, handler.Polls[worker.Url]); // one poll per round: 1 answered, 4 refused, 1 answered
    }

    [Fact]
    public async Task A_hung_worker_misses_each_poll_after_one_interval()
    {
        var settings = new WorkerSettings { Urls = ["http://10.0.0.9:8081"], HeartbeatInterval = TimeSpan.FromMilliseconds(50), MissedHeartbeats = 2 };
        using var pool = new WorkerPool(settings, WorkerPool.CreateClient(settings, new HangingHandler()));
        var worker = pool.Workers[0];
        await pool.PollOnceAsync(CancellationToken.None); // returns after its 50 ms limit, not never
        Assert.True(worker.IsUp);
        Assert.StartsWith("no heartbeat answer within 50 ms", worker.Snapshot().LastError, StringComparison.Ordinal);
        await pool.PollOnceAsync(CancellationToken.None);
        Assert.False(worker.IsUp);
    }

    private static WorkerPool Pool(StubWorkerHandler handler, out ManualTimeProvider clock)
    {
        clock = new ManualTimeProvider();
        var settings = new WorkerSettings { Urls = [string.Join(',', Urls)], HeartbeatInterval = TimeSpan.FromSeconds(1), MissedHeartbeats = 3 };
        return new WorkerPool(settings, WorkerPool.CreateClient(settings, handler), clock);
    }
}
