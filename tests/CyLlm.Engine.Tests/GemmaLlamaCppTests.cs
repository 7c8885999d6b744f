using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Gemma 2 and Gemma 3 against llama.cpp: the synthetic models of scripts/golden/gen_gemma.py run by the single-stream
/// engine and by the continuous-batching <see cref="ServingEngine"/> give llama.cpp's greedy ids
/// (TestData/llamacpp/gemma{2,3}-tiny-*.json, written by scripts/golden/llama_cpp_gemma.sh) until the first near-tie,
/// and at F32 its top-10 logits within 1e-3. The prompt is 5 tokens and 32 are generated (positions 0..36): Gemma 2's
/// window (48) is longer than the sequence and its small soft-caps (0.25 on attention logits, 2.0 on the output)
/// shape every score; Gemma 3's window (12) is shorter, so its local layers drop keys from position 12 on while
/// layer 5 stays global, with the local RoPE base 10000 against the global 1e6.
/// </summary>
public sealed class GemmaLlamaCppTests
{
    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [SkippableFact]
    public void Gemma2_loads_with_soft_caps_and_alternating_sliding_layers()
    {
        using var engine = InferenceEngine.Load(SyntheticGemma.Get("gemma2", "f32"), null, new EngineOptions { Threads = 2 });
        var c = engine.Config;
        Assert.Equal(ModelArchitecture.Gemma2, c.Architecture);
        Assert.True(c.Gemma);
        Assert.False(c.QkNorm);
        Assert.True(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((192, 4, 2, 64), (c.Dim, c.Heads, c.KvHeads, c.HeadDim));
        Assert.Equal((0.25f, 2f), (c.AttentionSoftcap, c.FinalLogitSoftcap));
        Assert.Equal(48, c.SlidingWindow);
        Assert.Equal([true, false, true, false], Enumerable.Range(0, c.Layers).Select(c.IsLocalLayer));
        // llama.cpp's scale for a model that is not the 27B: 1/√head_dim.
        Assert.Equal(1f / 8f, c.AttentionScale);
        Assert.Equal(0f, c.NormWeightOffset);
        Assert.Equal("gemma", engine.ChatTemplateName);
    }

    [SkippableFact]
    public void Gemma3_loads_with_head_norms_five_local_layers_per_global_and_two_rope_bases()
    {
        using var engine = InferenceEngine.Load(SyntheticGemma.Get("gemma3", "f32"), null, new EngineOptions { Threads = 2 });
        var c = engine.Config;
        Assert.Equal(ModelArchitecture.Gemma3, c.Architecture);
        Assert.True(c.QkNorm);
        Assert.Equal((0f, 0f), (c.AttentionSoftcap, c.FinalLogitSoftcap));
        Assert.Equal(12, c.SlidingWindow);
        Assert.Equal([true, true, true, true, true, false, true], Enumerable.Range(0, c.Layers).Select(c.IsLocalLayer));
        Assert.Equal((1e6f, 10000f), (c.RopeTheta, c.LocalRopeTheta));
        Assert.Equal([64L], engine.Model.Get("blk.6.attn_q_norm.weight").Shape);
        Assert.Equal("gemma", engine.ChatTemplateName);
    }

    [SkippableTheory]
    [InlineData("gemma2", "f32")]
    [InlineData("gemma2", "f16")]
    [InlineData("gemma3", "f32")]
    [InlineData("gemma3", "f16")]
    public void Greedy_ids_match_llama_cpp_until_the_first_near_tie(string arch, string type)
    {
        var golden = LlamaCppGolden.Load($"{arch}-tiny-{type}.json");
        using var engine = InferenceEngine.Load(SyntheticGemma.Get(arch, type), null, new EngineOptions { Threads = 2 });
        // The golden's prompt ids are BOS + "Once upon a time" in the model's (Llama-2) vocabulary.
        Assert.Equal(golden.Input, engine.Encode("Once upon a time"));
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(golden.Generated.Length) });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 4, $"the golden file has only {comparable} steps with a clear winner");
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds.Take(comparable));
    }

    [SkippableTheory]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public void F32_top10_logits_match_llama_cpp_within_1e3_at_the_prompt_and_every_comparable_step(string arch)
    {
        var golden = LlamaCppGolden.Load($"{arch}-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticGemma.Get(arch, "f32"), null, new EngineOptions { Threads = 2 });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 4, $"the golden file has only {comparable} steps with a clear winner");
        if (arch == "gemma3")
        {
            // The compared steps reach past the window: the last one scores position 4 + comparable − 1 ≥ 12 + 2.
            Assert.True(4 + comparable - 1 >= engine.Config.SlidingWindow + 2, $"only {comparable} steps: the window (12) is not exceeded");
        }

        // Step s scores the prompt followed by the first s generated ids (step 0 is the last prompt position).
        for (int s = 0; s < comparable; s++)
        {
            var logits = engine.PromptLogits(golden.Input.Concat(golden.Generated.Take(s)).ToArray());
            foreach (var (id, value) in golden.TopSteps[s])
            {
                Assert.True(Math.Abs(logits[id] - value) < 1e-3, $"step {s}, token {id}: {logits[id]} vs llama.cpp {value}");
            }

            if (engine.Config.FinalLogitSoftcap > 0)
            {
                Assert.All(logits, x => Assert.InRange(x, -engine.Config.FinalLogitSoftcap, engine.Config.FinalLogitSoftcap));
            }
        }
    }

    [SkippableFact]
    public void Gemma3_linear_rope_scaling_of_the_global_layers_matches_llama_cpp()
    {
        // gen_gemma.py --rope-linear 8: rope.scaling.type linear, factor 8, as Gemma 3 4B+ ship; llama.cpp divides the
        // positions of the global layer (5) by 8 and leaves the local layers unscaled.
        var golden = LlamaCppGolden.Load("gemma3-linear8-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticGemma.Get("gemma3", "f32", ropeLinear: 8), null, new EngineOptions { Threads = 2 });
        Assert.Equal(8f, engine.Config.RopeLinearFactor);
        Assert.Null(engine.Config.RopeScaling);
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 12, $"the golden file has only {comparable} steps with a clear winner");
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(golden.Generated.Length) });
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds.Take(comparable));
        using var unscaled = InferenceEngine.Load(SyntheticGemma.Get("gemma3", "f32"), null, new EngineOptions { Threads = 2 });
        float moved = 0;
        foreach (int s in new[] { 0, 3, comparable - 1 })
        {
            int[] tokens = golden.Input.Concat(golden.Generated.Take(s)).ToArray();
            var logits = engine.PromptLogits(tokens);
            foreach (var (id, value) in golden.TopSteps[s])
            {
                Assert.True(Math.Abs(logits[id] - value) < 1e-3, $"step {s}, token {id}: {logits[id]} vs llama.cpp {value}");
            }

            var plain = unscaled.PromptLogits(tokens);
            moved = Math.Max(moved, logits.Zip(plain, (a, b) => Math.Abs(a - b)).Max());
        }

        // The scaling is not a no-op on this model: without it the logits differ by far more than the tolerance.
        Assert.True(moved > 1e-2f, $"linear scaling moved the logits by only {moved}");
    }

    [SkippableTheory]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public async Task The_serving_engine_batches_gemma_requests_to_the_single_stream_and_llama_cpp_ids(string arch)
    {
        var golden = LlamaCppGolden.Load($"{arch}-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticGemma.Get(arch, "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        // The golden prompt beside prompts of other lengths (one longer than Gemma 3's window), so prefill and
        // decode rows of different sequences, inside and past the window, share batches and paged blocks.
        int[][] prompts =
        [
            golden.Input,
            [1, 450, 4996, 17354, 1701, 29916],
            [1, 9038],
            [1, 3118, 263, 931, 727, 471, 263, 2217, 7826, 29889, 940, 5360, 304, 1708, 5377, 297, 278, 6575],
        ];
        var alone = prompts.Select(p => engine.Generate(new GenerationRequest { PromptTokens = p, Sampling = Greedy(golden.Generated.Length) }).TokenIds).ToArray();
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 16 << 20, TokenBudget = 8 });
        var results = await Task.WhenAll(prompts.Select(p => serving.GenerateAsync(new ServingRequest(p, Greedy(golden.Generated.Length)))));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], results[i].TokenIds);
        }

        Assert.Equal(golden.Generated.Take(comparable), results[0].TokenIds.Take(comparable));
        Assert.Equal(0, serving.UsedBlocks);
    }
}
