using CyLlm.Engine.Execution;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The MoE router against a scalar reference written from llama.cpp's build_moe_ffn (softmax over all logits, the k
/// largest probabilities with ties to the lower index, renormalised over the k, optional scale), on hand-made logits
/// and on random ones.
/// </summary>
public sealed unsafe class MoeRouterTests
{
    private static (int[] Selected, float[] Weights, float[] Probs) Route(float[] logits, int used, float scale = 0f, bool normalize = true)
    {
        var probs = (float[])logits.Clone();
        var selected = new int[used];
        var weights = new float[used];
        fixed (float* l = probs, w = weights)
        fixed (int* s = selected)
        {
            MoeRouter.Route(l, probs.Length, used, s, w, scale, normalize);
        }

        return (selected, weights, probs);
    }

    /// <summary>The reference, in double: a stable sort by descending probability keeps the lower index first on ties.</summary>
    private static (int[] Selected, double[] Weights, double[] Probs) Reference(float[] logits, int used, float scale)
    {
        double max = logits.Max();
        var e = logits.Select(x => Math.Exp(x - max)).ToArray();
        double sum = e.Sum();
        var p = e.Select(x => x / sum).ToArray();
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(used).ToArray();
        double total = Math.Max(order.Sum(i => p[i]), 6.103515625e-5);
        double f = scale is 0f or 1f ? 1 : scale;
        return (order, order.Select(i => p[i] / total * f).ToArray(), p);
    }

    [Fact]
    public void Hand_made_logits_pick_the_top_k_in_descending_order_with_renormalised_weights()
    {
        // Probabilities ∝ e^logit: experts 5 (e^3), 2 (e^2), then 0 (e^1).
        float[] logits = [1f, -2f, 2f, 0f, -1f, 3f, 0.5f, -3f];
        var (sel, w, probs) = Route(logits, 2);
        Assert.Equal([5, 2], sel);
        double a = Math.Exp(3), b = Math.Exp(2);
        Assert.Equal(a / (a + b), w[0], 6);
        Assert.Equal(b / (a + b), w[1], 6);
        // The logits buffer holds the full softmax afterwards, the chosen experts' probabilities restored.
        Assert.Equal(1.0, probs.Sum(x => (double)x), 5);
        Assert.True(probs.All(x => x > 0));
    }

    [Fact]
    public void Ties_go_to_the_lower_expert_index_like_llama_cpps_sort()
    {
        float[] logits = [0f, 1f, 0.5f, 1f, 1f, 0f, 0f, 0f];
        var (sel, w, _) = Route(logits, 2);
        Assert.Equal([1, 3], sel);
        Assert.Equal(0.5f, w[0], 6);
        Assert.Equal(0.5f, w[1], 6);

        var (sel3, _, _) = Route(logits, 3);
        Assert.Equal([1, 3, 4], sel3);

        // All equal: the first k experts, each 1/k.
        var (all, wa, _) = Route(new float[16], 4);
        Assert.Equal([0, 1, 2, 3], all);
        Assert.All(wa, x => Assert.Equal(0.25f, x, 6));
    }

    [Fact]
    public void A_single_expert_gets_weight_one_and_the_scale_multiplies_the_renormalised_weights()
    {
        var (sel, w, _) = Route([0.1f, 0.7f, -0.3f, 0.2f], 1);
        Assert.Equal([1], sel);
        Assert.Equal(1f, w[0], 6);

        var (_, ws, _) = Route([0.1f, 0.7f, -0.3f, 0.2f], 2, scale: 2.5f);
        Assert.Equal(2.5, ws.Sum(x => (double)x), 5);
        var (_, w1, _) = Route([0.1f, 0.7f, -0.3f, 0.2f], 2, scale: 1f);
        Assert.Equal(1.0, w1.Sum(x => (double)x), 5);
    }

    [Fact]
    public void Without_renormalisation_the_weights_are_the_raw_probabilities_as_in_qwen2moe()
    {
        // llama.cpp's qwen2moe graph: build_moe_ffn(..., norm_w = false): the top-k probabilities of the softmax over
        // all experts, summing to less than 1; the scale still applies.
        float[] logits = [0.1f, 0.7f, -0.3f, 0.2f];
        var (sel, w, probs) = Route(logits, 2, normalize: false);
        Assert.Equal([1, 3], sel);
        Assert.Equal(probs[1], w[0]);
        Assert.Equal(probs[3], w[1]);
        Assert.True(w.Sum() < 0.8f);
        var (_, ws, _) = Route(logits, 2, scale: 2f, normalize: false);
        Assert.Equal(2 * probs[1], ws[0], 6);
    }

    [Theory]
    [InlineData(8, 2, 0f)]
    [InlineData(16, 4, 0f)]
    [InlineData(128, 8, 0f)]
    [InlineData(8, 2, 1.5f)]
    public void Random_logits_match_the_scalar_reference(int experts, int used, float scale)
    {
        var rng = new Random(experts * 31 + used);
        for (int trial = 0; trial < 500; trial++)
        {
            // Logits spread like a router's (O(1)), sometimes with a duplicated value to exercise ties.
            var logits = Enumerable.Range(0, experts).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
            if (trial % 5 == 0)
            {
                logits[rng.Next(experts)] = logits[rng.Next(experts)];
            }

            var (sel, w, probs) = Route(logits, used, scale);
            var (rsel, rw, rp) = Reference(logits, used, scale);
            Assert.Equal(rsel, sel);
            for (int j = 0; j < used; j++)
            {
                Assert.True(Math.Abs(w[j] - rw[j]) < 1e-6, $"trial {trial} slot {j}: {w[j]} vs {rw[j]}");
            }

            for (int e = 0; e < experts; e++)
            {
                Assert.True(Math.Abs(probs[e] - rp[e]) < 1e-6, $"trial {trial} expert {e}: p {probs[e]} vs {rp[e]}");
            }
        }
    }
}
