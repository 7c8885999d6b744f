using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>
/// OpenAI's <c>n</c> &gt; 1 in the serving engine: the prompt is computed once and its full KV blocks are shared by the
/// choices; choice i with seed s is the same as a lone request with seed s + i.
/// </summary>
public sealed class ParallelSamplingTests
{
    [Fact]
    public async Task Choice_i_equals_a_lone_request_seeded_seed_plus_i()
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "q8_0"), null, new EngineOptions { Threads = 2, ContextTokens = 128 });
        var rng = new Random(5);
        var prompt = Enumerable.Range(0, 37).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray();
        var sp = new SamplingParams { Temperature = 0.9f, Seed = 1000, MaxTokens = 12, IgnoreEos = true, Logprobs = true };
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20, PrefixCaching = false });
        var handles = serving.SubmitMany(new ServingRequest(prompt, sp), 3);
        var choices = await Task.WhenAll(handles.Select(h => h.Completion));
        Assert.Equal(3, choices.Length);
        for (int i = 0; i < 3; i++)
        {
            var alone = await serving.GenerateAsync(new ServingRequest(prompt, sp with { Seed = 1000 + i }));
            Assert.Equal(alone.TokenIds, choices[i].TokenIds);
            Assert.Equal(alone.Text, choices[i].Text);
            Assert.Equal(alone.Samples.Select(x => x.Logprob), choices[i].Samples.Select(x => x.Logprob));
        }

        Assert.True(choices.Select(c => string.Join(',', c.TokenIds)).Distinct().Count() > 1, "sampled choices should differ");
    }

    [Fact]
    public async Task Four_choices_hold_the_prompts_full_blocks_once()
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var rng = new Random(6);
        var prompt = Enumerable.Range(0, 100).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray(); // 6 full blocks of 16 + 4
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 16 << 20, PrefixCaching = false });
        int peak = 0;
        serving.OnLogits = (_, _, _) => peak = Math.Max(peak, serving.UsedBlocksOnLoop);
        var handles = serving.SubmitMany(new ServingRequest(prompt, new SamplingParams { Temperature = 0.7f, Seed = 3, MaxTokens = 10, IgnoreEos = true }), 4);
        var results = await Task.WhenAll(handles.Select(h => h.Completion));
        Assert.All(results, r => Assert.Equal(10, r.TokenIds.Length));
        // 110 tokens per choice = 7 blocks each; alone that is 28. Shared: 6 prompt blocks once + the 7th block per choice.
        Assert.True(peak <= 6 + 4, $"peak {peak} blocks in use; 4 separate requests would hold 28");
        Assert.True(peak >= 6 + 1, $"peak {peak}");
        Assert.Equal(0, await UsedAfterIdle(serving));
    }

    [Fact]
    public async Task Greedy_choices_are_identical_and_a_cancelled_group_ends_every_choice()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 128 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 4 << 20 });
        var prompt = engine.Encode("Once upon a time");
        var greedy = await Task.WhenAll(serving.SubmitMany(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 20 }), 2).Select(h => h.Completion));
        Assert.Equal(greedy[0].TokenIds, greedy[1].TokenIds);
        Assert.Equal(greedy[0].Text, greedy[1].Text);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var cancelled = serving.SubmitMany(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 20 }), 3, cts.Token);
        var ends = await Task.WhenAll(cancelled.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(ends, r => Assert.Equal(FinishReason.Cancelled, r.FinishReason));
    }

    /// <summary>Blocks in use while a 3-token request (one block) runs after the group: the group's are all back.</summary>
    private static async Task<int> UsedAfterIdle(ServingEngine serving)
    {
        int used = -1;
        serving.OnLogits = (_, _, _) => used = serving.UsedBlocksOnLoop;
        await serving.GenerateAsync(new ServingRequest([1, 2, 3], new SamplingParams { Temperature = 0, MaxTokens = 1 }));
        return used - 1;
    }
}
