using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Qwen3 against llama.cpp: the synthetic model of scripts/golden/gen_qwen3.py (per-head Q/K RMSNorm with non-unit
/// weights, head_dim 64 ≠ dim/heads, GQA, NEOX RoPE, tied embeddings) run by the single-stream engine and by the
/// continuous-batching <see cref="ServingEngine"/> gives llama.cpp's greedy ids (TestData/llamacpp/qwen3-tiny-*.json,
/// written by scripts/golden/llama_cpp_qwen3.sh) until the first near-tie, and at F32 its top-10 logits within 1e-3.
/// </summary>
public sealed class Qwen3LlamaCppTests
{
    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [SkippableFact]
    public void The_synthetic_model_loads_as_qwen3_with_head_norms_and_a_wide_head()
    {
        using var engine = InferenceEngine.Load(SyntheticQwen3.Get("f32"), null, new EngineOptions { Threads = 2 });
        var c = engine.Config;
        Assert.Equal(ModelArchitecture.Qwen3, c.Architecture);
        Assert.True(c.QkNorm);
        Assert.False(c.AttentionBias);
        Assert.True(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((256, 8, 4, 64), (c.Dim, c.Heads, c.KvHeads, c.HeadDim));
        Assert.Equal([64L], engine.Model.Get("blk.3.attn_k_norm.weight").Shape);
        // No template in the file: Qwen3 falls back to plain ChatML (not the qwen2 built-in with its system prompt).
        Assert.Equal("chatml", engine.ChatTemplateName);
    }

    [SkippableTheory]
    [InlineData("f32")]
    [InlineData("f16")]
    public void Greedy_ids_match_llama_cpp_until_the_first_near_tie(string type)
    {
        var golden = LlamaCppGolden.Load($"qwen3-tiny-{type}.json");
        using var engine = InferenceEngine.Load(SyntheticQwen3.Get(type), null, new EngineOptions { Threads = 2 });
        // The golden's prompt ids are BOS + "Once upon a time" in the model's (Llama-2) vocabulary.
        Assert.Equal(golden.Input, engine.Encode("Once upon a time"));
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(golden.Generated.Length) });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 4, $"the golden file has only {comparable} steps with a clear winner");
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds.Take(comparable));
    }

    [SkippableFact]
    public void F32_top10_logits_match_llama_cpp_within_1e3_at_the_prompt_and_every_comparable_step()
    {
        var golden = LlamaCppGolden.Load("qwen3-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticQwen3.Get("f32"), null, new EngineOptions { Threads = 2 });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 4, $"the golden file has only {comparable} steps with a clear winner");
        // Step s scores the prompt followed by the first s generated ids (step 0 is the last prompt position).
        for (int s = 0; s < comparable; s++)
        {
            var logits = engine.PromptLogits(golden.Input.Concat(golden.Generated.Take(s)).ToArray());
            foreach (var (id, value) in golden.TopSteps[s])
            {
                Assert.True(Math.Abs(logits[id] - value) < 1e-3, $"step {s}, token {id}: {logits[id]} vs llama.cpp {value}");
            }
        }
    }

    [SkippableFact]
    public async Task The_serving_engine_batches_qwen3_requests_to_the_single_stream_and_llama_cpp_ids()
    {
        var golden = LlamaCppGolden.Load("qwen3-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticQwen3.Get("f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        // The golden prompt beside prompts of other lengths, so prefill and decode rows of different
        // sequences share batches.
        int[][] prompts =
        [
            golden.Input,
            [1, 450, 4996, 17354, 1701, 29916],
            [1, 9038],
            [1, 3118, 263, 931, 727, 471, 263, 2217, 7826],
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
