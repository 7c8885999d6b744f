using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Phi-3 / Phi-4 against llama.cpp: the synthetic models of scripts/golden/gen_phi3.py (fused QKV and gate-up, GQA,
/// NEOX RoPE; "phi3" with LongRoPE factors and attention factor, "phi4" without; F32, F16, and Q8_0 for "phi3") give
/// llama.cpp's greedy ids (TestData/llamacpp/phi3-tiny-*.json, phi4-tiny-*.json, written by
/// scripts/golden/llama_cpp_phi3.sh at n_ctx 256 with an F32 KV cache) until the first near-tie, and at F32 its top-10
/// logits within 1e-3. The LongRoPE model run with a 512-token context matches llama.cpp at n_ctx 512
/// (phi3-tiny-f32-ctx512.json), where both rotate with the long factors.
/// </summary>
public sealed class Phi3LlamaCppTests
{
    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    private static InferenceEngine Load(string variant, string type, int context) =>
        InferenceEngine.Load(SyntheticPhi3.Get(variant, type), null, new EngineOptions { Threads = 2, ContextTokens = context });

    [SkippableFact]
    public void The_synthetic_model_loads_as_phi3_with_fused_matrices_and_longrope()
    {
        using var engine = Load("phi3", "f32", 256);
        var c = engine.Config;
        Assert.Equal(ModelArchitecture.Phi3, c.Architecture);
        Assert.True(c.FusedQkv);
        Assert.True(c.FusedGateUp);
        Assert.False(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((256, 8, 4, 32, 512), (c.Dim, c.Heads, c.KvHeads, c.HeadDim, c.HiddenDim));
        Assert.Equal(256, c.RopeOriginalContext);
        Assert.Equal(MathF.Sqrt(1 + (MathF.Log(4) / MathF.Log(256))), c.RopeAttentionFactor, 5);
        // phi3.attention.sliding_window 2047 is in the file; llama.cpp disables Phi's window, and so does CyLlm.
        Assert.Equal(0, c.SlidingWindow);
        Assert.Equal([256L, 512], engine.Model.Get("blk.0.attn_qkv.weight").Shape);
        Assert.Equal([256L, 1024], engine.Model.Get("blk.0.ffn_up.weight").Shape);
        // No template in the file: the Phi-3.5 built-in (<|user|>\n…<|end|>), not ChatML.
        Assert.Equal("phi3.5", engine.ChatTemplateName);
    }

    [SkippableTheory]
    [InlineData("phi3", "f32")]
    [InlineData("phi3", "f16")]
    [InlineData("phi3", "q8_0")]
    [InlineData("phi4", "f32")]
    [InlineData("phi4", "f16")]
    public void Greedy_ids_match_llama_cpp_until_the_first_near_tie(string variant, string type)
    {
        var golden = LlamaCppGolden.Load($"{variant}-tiny-{type}.json");
        using var engine = Load(variant, type, 256);
        // The golden's prompt ids are BOS + "Once upon a time" in the model's (Llama-2) vocabulary.
        Assert.Equal(golden.Input, engine.Encode("Once upon a time"));
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(golden.Generated.Length) });
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 8, $"the golden file has only {comparable} steps with a clear winner");
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds.Take(comparable));
    }

    [SkippableFact]
    public unsafe void Q8_0_fused_slices_are_repacked_on_their_own_where_the_cpu_has_the_packed_kernel()
    {
        using var engine = Load("phi3", "q8_0", 256);
        var layer = engine.Weights.Layers[0];
        // Q [256 rows], K and V [128 rows each] of attn_qkv, gate and up [512 rows each] of ffn_up: five row ranges of
        // two tensors, each its own matrix (the greedy test above checks they still compute llama.cpp's model).
        Assert.Equal((256, 128, 128, 512, 512), (layer.Wq.Rows, layer.Wk.Rows, layer.Wv.Rows, layer.WGate.Rows, layer.WUp.Rows));
        bool packs = CyLlm.Tensors.Quant.Q8_0x16.IsSupported || CyLlm.Tensors.Quant.Q8_0x8.IsSupported;
        Assert.Equal(packs, layer.Wq.Packed != null && layer.Wv.Packed != null && layer.WUp.Packed != null);
    }

    [SkippableTheory]
    [InlineData("phi3", 256, "phi3-tiny-f32.json")]
    [InlineData("phi3", 512, "phi3-tiny-f32-ctx512.json")]
    [InlineData("phi4", 256, "phi4-tiny-f32.json")]
    public void F32_top10_logits_match_llama_cpp_within_1e3_at_the_prompt_and_every_comparable_step(string variant, int context, string goldenFile)
    {
        // The goldens come from llama.cpp with an F32 KV cache (see llama_cpp_phi3.sh), as this engine's session keeps.
        var golden = LlamaCppGolden.Load(goldenFile);
        using var engine = Load(variant, "f32", context);
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 8, $"the golden file has only {comparable} steps with a clear winner");
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(comparable) });
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds);
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
    public async Task The_serving_engine_batches_phi3_requests_to_the_single_stream_and_llama_cpp_ids()
    {
        var golden = LlamaCppGolden.Load("phi3-tiny-f32.json");
        using var engine = Load("phi3", "f32", 256);
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
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
