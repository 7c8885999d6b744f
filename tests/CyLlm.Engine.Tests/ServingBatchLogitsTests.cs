using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Batch invariance on the synthetic tiny models (stories15M shape, random weights): the logits of a request are
/// bit-identical whether it runs alone or inside a batch of 16 mixed requests (prefill chunks beside decode steps,
/// greedy beside sampled, different lengths, prefix-cache hits), for every weight type and chunked-prefill size.
/// The kernels sum in one canonical order whatever the step's token count (VecDot.F32), so nothing is loosened to
/// a tolerance; CI runs this with AVX-512 on and off.
/// </summary>
public sealed class ServingBatchLogitsTests
{

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    [InlineData(KvCacheType.Q8_0)]
    public async Task Logits_alone_and_in_a_batch_of_16_mixed_requests_agree(KvCacheType kv)
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        int vocab = engine.Config.VocabSize;
        var rng = new Random(1234);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(_ => rng.Next(3, vocab)).ToArray();
        var options = new ServingOptions { KvCacheBytes = 32 << 20, TokenBudget = 48, KvType = kv };
        var target = new ServingRequest(Prompt(37), new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true });

        var alone = await Capture(engine, options, target, []);
        var others = Enumerable.Range(0, 15).Select(i => new ServingRequest(
            Prompt(3 + (i * 7 % 61)),
            i % 3 == 0
                ? new SamplingParams { Temperature = 0.8f, Seed = i, MaxTokens = 4 + i, IgnoreEos = true }
                : new SamplingParams { Temperature = 0, MaxTokens = 4 + i, IgnoreEos = true })).ToArray();
        var batched = await Capture(engine, options, target, others);

        Assert.Equal(8, alone.Count);
        Assert.Equal(alone.Count, batched.Count);
        for (int i = 0; i < alone.Count; i++)
        {
            AssertBitIdentical(alone[i], batched[i], $"kv {kv} step {i}");
        }
    }

    public static TheoryData<string, int> TypesAndChunks()
    {
        var data = new TheoryData<string, int>();
        foreach (string type in new[] { "f32", "f16", "q8_0", "q4_0" })
        {
            foreach (int budget in new[] { 5, 16, 64 })
            {
                data.Add(type, budget);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndChunks))]
    public async Task Logits_are_bit_identical_alone_batched_chunked_and_on_prefix_hits(string type, int tokenBudget)
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", type), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        int vocab = engine.Config.VocabSize;
        var rng = new Random(4321);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(_ => rng.Next(3, vocab)).ToArray();
        // The target's prompt starts with a 48-token prefix two of the others share, so the batched run meets
        // prefix-cache hits (whole 16-token blocks) that the lone run never has.
        int[] shared = Prompt(48);
        var target = new ServingRequest([.. shared, .. Prompt(13)], new SamplingParams { Temperature = 0, MaxTokens = 6, IgnoreEos = true });
        var others = Enumerable.Range(0, 15).Select(i => new ServingRequest(
            i < 2 ? [.. shared, .. Prompt(5 + i)] : Prompt(3 + (i * 11 % 57)),
            i % 4 == 0
                ? new SamplingParams { Temperature = 0.7f, Seed = i, MaxTokens = 3 + i, IgnoreEos = true }
                : new SamplingParams { Temperature = 0, MaxTokens = 3 + i, IgnoreEos = true })).ToArray();

        // Alone with a whole-prompt budget (one prefill step), then batched with small chunks.
        var alone = await Capture(engine, new ServingOptions { KvCacheBytes = 32 << 20, TokenBudget = 256, PrefixCaching = false }, target, []);
        var batched = await Capture(engine, new ServingOptions { KvCacheBytes = 32 << 20, TokenBudget = tokenBudget }, target, others);
        Assert.Equal(6, alone.Count);
        Assert.Equal(alone.Count, batched.Count);
        for (int i = 0; i < alone.Count; i++)
        {
            AssertBitIdentical(alone[i], batched[i], $"{type} budget {tokenBudget} step {i}");
        }
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            if (BitConverter.SingleToInt32Bits(expected[j]) != BitConverter.SingleToInt32Bits(actual[j]))
            {
                Assert.Fail($"{what}: logit {j} is {actual[j]:R} batched, {expected[j]:R} alone");
            }
        }
    }

    [Fact]
    public async Task Q8_0_kv_logits_stay_within_tolerance_of_f32_kv()
    {
        // Every step of a 16-token greedy run, 200-token prompt. Q8_0 rounds each key/value to 1/254 of its
        // 32-element block's range; here that moves the logits by under 2 % of their largest magnitude
        // (max |Δ| / max |logit|), F16 by under 0.2 %.
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var rng = new Random(99);
        var prompt = Enumerable.Range(0, 200).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray();
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 16, IgnoreEos = true };
        List<float[]> Run(KvCacheType kv) => Capture(engine, new ServingOptions { KvCacheBytes = 32 << 20, KvType = kv }, new ServingRequest(prompt, sampling), []).GetAwaiter().GetResult();
        var f32 = Run(KvCacheType.F32);
        var f16 = Run(KvCacheType.F16);
        var q8 = Run(KvCacheType.Q8_0);
        Assert.Equal(16, f32.Count);
        Assert.Equal(f32.Count, q8.Count);
        double worstQ8 = 0, worstF16 = 0;
        for (int i = 0; i < f32.Count; i++)
        {
            worstQ8 = Math.Max(worstQ8, ServingFeatureTests.RelativeError(f32[i], q8[i]));
            worstF16 = Math.Max(worstF16, ServingFeatureTests.RelativeError(f32[i], f16[i]));
        }

        Assert.True(worstQ8 < 0.02 && worstF16 < 0.002, $"worst relative error: q8_0 {worstQ8:E2}, f16 {worstF16:E2}");
        Assert.True(worstQ8 > 0, "q8_0 storage should differ from f32 at all");
    }

    /// <summary>The target's logits per generated step, with <paramref name="others"/> submitted around it
    /// (half before, half after) so that it shares forward passes with them.</summary>
    private static async Task<List<float[]>> Capture(InferenceEngine engine, ServingOptions options, ServingRequest target, ServingRequest[] others)
    {
        using var serving = new ServingEngine(engine, options);
        var rows = new List<float[]>();
        int mixed = 0;
        serving.OnLogits = (r, _, logits) =>
        {
            if (ReferenceEquals(r, target))
            {
                rows.Add(logits.ToArray());
            }
            else
            {
                mixed++;
            }
        };
        var tasks = new List<Task>();
        for (int i = 0; i < others.Length / 2; i++)
        {
            tasks.Add(serving.GenerateAsync(others[i]));
        }

        tasks.Add(serving.GenerateAsync(target));
        for (int i = others.Length / 2; i < others.Length; i++)
        {
            tasks.Add(serving.GenerateAsync(others[i]));
        }

        await Task.WhenAll(tasks);
        Assert.True(others.Length == 0 || mixed > 0);
        return rows;
    }
}
