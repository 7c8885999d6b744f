using CsCheck;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>Serving-engine options of issue 4: Q8_0 KV storage, per-tenant default priority, the status snapshot
/// with window percentiles, and batch invariance of the logits.</summary>
public sealed class ServingFeatureTests : IDisposable
{
    private readonly InferenceEngine _engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 512 });

    public void Dispose() => _engine.Dispose();

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [Fact]
    public async Task Q8_0_kv_cache_keeps_the_greedy_output_of_a_short_prompt()
    {
        var prompt = _engine.Encode("Once upon a time, there was a little girl");
        var expected = _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = Greedy(24) }).TokenIds;
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 4 << 20, KvType = KvCacheType.Q8_0 });
        var r = await serving.GenerateAsync(new ServingRequest(prompt, Greedy(24)));
        Assert.Equal(expected, r.TokenIds);
        // And it is the smaller cache: 34 bytes per 32 elements against F16's 64.
        long q8 = ServingEngine.BlockBytes(_engine.Config, new ServingOptions { KvType = KvCacheType.Q8_0 });
        long f16 = ServingEngine.BlockBytes(_engine.Config, new ServingOptions { KvType = KvCacheType.F16 });
        Assert.Equal(f16 * 34 / 64, q8);
    }

    [Fact]
    public void Q8_0_kv_cache_names_shapes_it_cannot_hold()
    {
        Assert.Null(KvCacheTypeInfo.Validate(KvCacheType.Q8_0, 64, 8));
        Assert.Contains("multiple of 32", KvCacheTypeInfo.Validate(KvCacheType.Q8_0, 48, 8));
        Assert.Null(KvCacheTypeInfo.Validate(KvCacheType.F16, 48, 8));
        Assert.NotNull(KvCacheTypeInfo.Validate((KvCacheType)7, 64, 8));
        Assert.True(KvCacheTypeInfo.TryParse("Q8_0", out var t) && t == KvCacheType.Q8_0);
        Assert.False(KvCacheTypeInfo.TryParse("q4_0", out _));
    }

    [Fact]
    public void Tenant_default_priority_applies_only_without_an_explicit_priority()
    {
        var tenants = new Dictionary<string, int> { ["gold"] = -5, ["free"] = 10 };
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 4 << 20, TenantDefaultPriorities = tenants });
        Gen.Select(Gen.Int[0, 4].Select(i => new string?[] { null, "gold", "free", "other", "GOLD" }[i]), Gen.Int[-20, 20], Gen.Bool).Sample((tenant, p, explicitly) =>
        {
            var r = new ServingRequest([1], Greedy(1)) { TenantId = tenant };
            if (explicitly)
            {
                r = r with { Priority = p };
            }

            int expected = explicitly ? p : tenant is not null && tenants.TryGetValue(tenant, out int d) ? d : 0;
            Assert.Equal(expected, serving.ResolvePriority(r));
            Assert.Equal(explicitly, r.HasExplicitPriority);
        }, iter: 200);
        // An explicit 0 is still explicit.
        Assert.Equal(0, serving.ResolvePriority(new ServingRequest([1], Greedy(1)) { TenantId = "free", Priority = 0 }));
    }

    [Fact]
    public async Task A_tenant_with_a_better_default_priority_overtakes_queued_work()
    {
        var tenants = new Dictionary<string, int> { ["gold"] = -5, ["free"] = 10 };
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20, MaxRunning = 1, TenantDefaultPriorities = tenants });
        var free = Enumerable.Range(0, 3).Select(_ => serving.Submit(new ServingRequest(_engine.Encode("The little dog"), Greedy(30)) { TenantId = "free" })).ToArray();
        var gold = serving.Submit(new ServingRequest(_engine.Encode("Once upon a time"), Greedy(5)) { TenantId = "gold" });
        var frees = await Task.WhenAll(free.Select(h => h.Completion));
        var g = await gold.Completion;
        // Each TTFT counts from the request's own submission and the free requests were submitted first, so a
        // free request that started before the gold one shows a shorter wait; only one (already running) may.
        int before = frees.Count(f => f.TtftMs < g.TtftMs);
        Assert.True(before <= 1, $"gold ttft {g.TtftMs:F1} ms, free ttfts {string.Join(", ", frees.Select(f => f.TtftMs.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task Status_reports_counts_prefix_hit_rate_and_window_percentiles()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20 });
        var empty = serving.GetStatus();
        Assert.Equal(0, empty.TimeToFirstToken.Samples);
        Assert.Equal(0, empty.PrefixHitRate);

        var shared = _engine.Encode(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. ", 3)));
        var first = await serving.GenerateAsync(new ServingRequest(shared, Greedy(6)));
        var rest = await Task.WhenAll(
            serving.GenerateAsync(new ServingRequest(shared, Greedy(6))),
            serving.GenerateAsync(new ServingRequest(_engine.Encode("The sun was"), Greedy(9))),
            serving.GenerateAsync(new ServingRequest(_engine.Encode("Tim had a red"), Greedy(4))));
        var all = rest.Prepend(first).ToArray();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        ServingStatus s;
        while ((s = serving.GetStatus()).Running != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        Assert.Equal(0, s.Running);
        Assert.Equal(0, s.Waiting);
        Assert.Equal(0, s.UsedBlocks);
        Assert.Equal(serving.TotalBlocks, s.TotalBlocks);
        Assert.Equal(4, s.TimeToFirstToken.Samples);
        Assert.Equal(4, s.EndToEnd.Samples);
        Assert.Equal(4, s.QueueTime.Samples);
        Assert.Equal(all.Sum(r => r.TokenIds.Length - 1), s.InterTokenLatency.Samples);
        Assert.True(s.PrefixHits > 0 && s.PrefixHitRate is > 0 and <= 1, $"hits {s.PrefixHits} of {s.PrefixQueries}");
        Assert.Equal((double)s.PrefixHits / s.PrefixQueries, s.PrefixHitRate);
        foreach (var p in new[] { s.QueueTime, s.TimeToFirstToken, s.InterTokenLatency, s.EndToEnd })
        {
            Assert.True(p.P50 >= 0 && p.P50 <= p.P95 && p.P95 <= p.P99, $"{p}");
        }

        // A request's TTFT is part of its end-to-end latency, so the largest of each keep that order.
        Assert.True(s.TimeToFirstToken.P99 <= s.EndToEnd.P99);
        Assert.Equal(all.Max(r => r.TtftMs) / 1000, s.TimeToFirstToken.P99, 3);
    }

    [Fact]
    public void Sliding_window_percentiles_are_nearest_rank_over_the_last_samples()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Double[0, 1000].Array[1, 120]).Sample((capacity, values) =>
        {
            var w = new SlidingWindow(capacity);
            foreach (double v in values)
            {
                w.Add(v);
            }

            var last = values.Skip(Math.Max(0, values.Length - capacity)).Order().ToArray();
            double Rank(double q) => last[Math.Clamp((int)Math.Ceiling(q * last.Length) - 1, 0, last.Length - 1)];
            var p = w.Percentiles();
            Assert.Equal(last.Length, p.Samples);
            Assert.Equal(Rank(0.5), p.P50);
            Assert.Equal(Rank(0.95), p.P95);
            Assert.Equal(Rank(0.99), p.P99);
            Assert.Equal(Rank(0.95), w.Percentile(0.95));
            w.Clear();
            Assert.Equal(0, w.Percentiles().Samples);
        }, iter: 200);
    }

    /// <summary>max |a − b| / max |a|.</summary>
    internal static double RelativeError(float[] a, float[] b)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs(a[i]));
        }

        return diff / Math.Max(scale, 1e-30);
    }
}
