using CyLlm.Tensors;

namespace CyLlm.Engine.Tests;

/// <summary>
/// LongRoPE's choice between the long and short factors (llama.cpp's get_rope_factors): the session's context, not a
/// token's position, decides — short up to the original context (256 in the synthetic Phi-3), long above it — and the
/// attention factor scales cos and sin in both cases.
/// </summary>
public sealed class LongRopeTests
{
    [SkippableFact]
    public void The_factors_follow_the_context_the_engine_is_created_with()
    {
        using var engine = InferenceEngine.Load(SyntheticPhi3.Get("phi3", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var w = engine.Weights;
        Assert.NotNull(w.LongInverseFrequencies);
        var longFactors = engine.Model.Get("rope_factors_long.weight");
        var shortFactors = engine.Model.Get("rope_factors_short.weight");
        float[] Divisors(CyLlm.Models.WeightTensor t) => Enumerable.Range(0, 16).Select(i => ReadF32(t, i)).ToArray();
        var plain = Rope.InverseFrequencies(32, 10000f, []);
        var expectShort = plain.Zip(Divisors(shortFactors), (f, d) => f / d).ToArray();
        var expectLong = plain.Zip(Divisors(longFactors), (f, d) => f / d).ToArray();
        Assert.Equal(expectShort, w.InverseFrequenciesFor(1), Tolerance);
        Assert.Equal(expectShort, w.InverseFrequenciesFor(256), Tolerance);
        Assert.Equal(expectLong, w.InverseFrequenciesFor(257), Tolerance);
        Assert.Equal(expectLong, w.InverseFrequenciesFor(131072), Tolerance);
        Assert.NotEqual(expectShort[15], expectLong[15], Tolerance);
        Assert.Equal(MathF.Sqrt(1 + (MathF.Log(4) / MathF.Log(256))), w.RopeScale, 5);
    }

    [SkippableFact]
    public void The_same_prompt_scores_differently_with_a_context_above_the_original()
    {
        int[] prompt = [1, 9038, 2501, 263, 931];
        float[] Logits(int context)
        {
            using var engine = InferenceEngine.Load(SyntheticPhi3.Get("phi3", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = context });
            return engine.PromptLogits(prompt);
        }

        var a = Logits(128);
        var b = Logits(256);
        var c = Logits(512);
        Assert.Equal(a, b);   // both short: the same model
        Assert.True(a.Zip(c, (x, y) => Math.Abs(x - y)).Max() > 1e-2f, "the long factors did not change the logits");
    }

    private static readonly IEqualityComparer<float> Tolerance = EqualityComparer<float>.Create((x, y) => Math.Abs(x - y) <= 1e-6f * Math.Max(1, Math.Abs(x)), x => 0);

    private static unsafe float ReadF32(CyLlm.Models.WeightTensor t, int i) => ((float*)t.Data)[i];
}
