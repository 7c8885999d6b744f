using CyLlm.Engine.Execution;

namespace CyLlm.Engine.Tests;

/// <summary>
/// gpt-oss's routing (llama.cpp's LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT): the k largest raw logits, negative ones
/// included, in descending order with ties to the lower index; weights the softmax over those k logits only, never
/// renormalised, optionally scaled; the logits untouched.
/// </summary>
public sealed unsafe class MoeRouterSoftmaxOverSelectedTests
{
    private static (int[] Selected, float[] Weights) Route(float[] logits, int used, float scale = 0f)
    {
        var selected = new int[used];
        var weights = new float[used];
        fixed (float* l = logits, w = weights)
        fixed (int* s = selected)
        {
            MoeRouter.RouteSoftmaxOverSelected(l, logits.Length, used, s, w, scale);
        }

        return (selected, weights);
    }

    [Fact]
    public void The_k_largest_logits_are_taken_and_softmaxed_among_themselves()
    {
        float[] logits = [-3f, -0.5f, -2f, -1f, -7f, -0.5f];
        var copy = (float[])logits.Clone();
        var (selected, weights) = Route(logits, 3);
        // -0.5 twice (lower index first), then -1; the logits are all negative and none is "taken" by mistake.
        Assert.Equal([1, 5, 3], selected);
        double e1 = Math.Exp(0), e3 = Math.Exp(-0.5);
        double sum = e1 + e1 + e3;
        Assert.Equal(e1 / sum, weights[0], 6);
        Assert.Equal(e1 / sum, weights[1], 6);
        Assert.Equal(e3 / sum, weights[2], 6);
        Assert.Equal(copy, logits);
    }

    [Fact]
    public void The_weights_differ_from_the_full_softmax_probabilities()
    {
        // Over all experts, expert 0 would get e^2 / (e^2 + e^1 + 6·e^0) ≈ 0.45; over the 2 selected, e^2 / (e^2 + e^1) ≈ 0.73.
        float[] logits = [2f, 1f, 0f, 0f, 0f, 0f, 0f, 0f];
        var (selected, weights) = Route(logits, 2);
        Assert.Equal([0, 1], selected);
        Assert.Equal(1 / (1 + Math.Exp(-1)), weights[0], 6);
        Assert.Equal(1f, weights[0] + weights[1], 6);
    }

    [Fact]
    public void A_scale_multiplies_the_weights()
    {
        var (_, weights) = Route([0f, 0f, -5f], 2, scale: 2.5f);
        Assert.Equal(1.25f, weights[0], 6);
        Assert.Equal(1.25f, weights[1], 6);
    }

    [Fact]
    public void Nan_logits_keep_the_indices_valid_and_distinct()
    {
        var (selected, _) = Route([float.NaN, 1f, float.NaN, float.NaN], 3);
        Assert.Equal(1, selected[0]);
        Assert.Equal(3, selected.Distinct().Count());
        Assert.All(selected, s => Assert.InRange(s, 0, 3));
    }

    [Fact]
    public void Random_logits_match_a_sorted_reference()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int experts = rng.Next(4, 40), used = rng.Next(1, 5);
            var logits = Enumerable.Range(0, experts).Select(_ => (float)(rng.NextDouble() * 8 - 6)).ToArray();
            var order = Enumerable.Range(0, experts).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(used).ToArray();
            double max = logits[order[0]];
            double sum = order.Sum(i => Math.Exp(logits[i] - max));
            var (selected, weights) = Route(logits, used);
            Assert.Equal(order, selected);
            for (int j = 0; j < used; j++)
            {
                Assert.True(Math.Abs((Math.Exp(logits[order[j]] - max) / sum) - weights[j]) < 1e-6, $"trial {trial}, slot {j}");
            }
        }
    }
}
