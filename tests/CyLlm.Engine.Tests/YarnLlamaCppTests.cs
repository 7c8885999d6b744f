using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Models;
using CyLlm.Tensors;

namespace CyLlm.Engine.Tests;

/// <summary>
/// YaRN RoPE scaling against llama.cpp: the synthetic Qwen3 with qwen3.rope.scaling.type "yarn" (factor 4, original
/// context 128; scripts/golden/gen_qwen3.py --yarn 4) gives llama.cpp's greedy ids and, at F32, its top-10 logits within
/// 1e-3 (TestData/llamacpp/qwen3-yarn4-tiny-f32.json), and the frequency ramp is ggml's.
/// </summary>
public sealed class YarnLlamaCppTests
{
    [SkippableFact]
    public void The_yarn_model_matches_llama_cpp_and_differs_from_the_unscaled_one()
    {
        var golden = LlamaCppGolden.Load("qwen3-yarn4-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticQwen3.GetYarn4(), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var y = engine.Config.Yarn;
        Assert.NotNull(y);
        Assert.Equal((4f, 128, 1f, 1f, 32f, 1f), (y.Factor, y.OriginalContextLength, y.ExtFactor, y.AttnFactor, y.BetaFast, y.BetaSlow));
        Assert.Null(engine.Config.RopeScaling);
        Assert.Equal(1f + (0.1f * MathF.Log(4)), engine.Weights.RopeScale, 6);
        int comparable = golden.StepsBeforeFirstGapBelow(0.02f);
        Assert.True(comparable >= 8, $"the golden file has only {comparable} steps with a clear winner");
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = new SamplingParams { Temperature = 0, MaxTokens = comparable, IgnoreEos = true } });
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds);
        for (int s = 0; s < comparable; s++)
        {
            var logits = engine.PromptLogits(golden.Input.Concat(golden.Generated.Take(s)).ToArray());
            foreach (var (id, value) in golden.TopSteps[s])
            {
                Assert.True(Math.Abs(logits[id] - value) < 1e-3, $"step {s}, token {id}: {logits[id]} vs llama.cpp {value}");
            }
        }

        // The unscaled model's llama.cpp logits are not these: the test would fail if YaRN were ignored.
        var plain = LlamaCppGolden.Load("qwen3-tiny-f32.json");
        var last = engine.PromptLogits(golden.Input);
        Assert.Contains(plain.TopSteps[0], t => Math.Abs(last[t.Id] - t.Logit) > 1e-2);
    }

    [Fact]
    public void The_ramp_extrapolates_fast_pairs_and_interpolates_slow_ones_as_ggml()
    {
        // head 64, base 1e6, original context 128, factor 4, beta 32/1: ggml_rope_yarn_corr_dims gives
        // low = max(0, floor(64·ln(128 / (32·2π)) / (2·ln 1e6))) = 0 and high = min(63, ceil(64·ln(128 / 2π) / (2·ln 1e6))) = 7.
        var inv = Rope.InverseFrequencies(64, 1e6f, []);
        var scaled = inv.ToArray();
        Rope.ApplyYarn(scaled, 64, 1e6f, 4f, 128, 1f, 32f, 1f);
        Assert.Equal(inv[0], scaled[0]);                                   // ramp 1: extrapolated (unchanged)
        Assert.Equal(inv[3] * ((0.25f * (3f / 7f)) + (4f / 7f)), scaled[3], 6); // ramp 1 − 3/7
        for (int i = 7; i < 32; i++)
        {
            Assert.Equal(inv[i] * 0.25f, scaled[i], 6);                    // ramp 0: interpolated by 1/factor
        }

        var none = inv.ToArray();
        Rope.ApplyYarn(none, 64, 1e6f, 4f, 128, 0f, 32f, 1f);              // ext_factor 0: plain linear interpolation
        Assert.Equal(inv.Select(f => f * 0.25f), none);
    }
}
