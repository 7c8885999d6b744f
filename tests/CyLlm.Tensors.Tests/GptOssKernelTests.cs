namespace CyLlm.Tensors.Tests;

/// <summary>
/// gpt-oss's element-wise kernels: the clamped SwiGLU (ggml's swiglu_oai: g = min(gate, 7), u = clamp(up, −7, 7),
/// g·σ(1.702·g)·(u + 1)) on hand-picked values on both sides of the limit and against the scalar reference at every
/// length, and the softmax with an attention sink (an extra logit in the denominator only).
/// </summary>
public sealed class GptOssKernelTests
{
    private const float Alpha = 1.702f, Limit = 7f;

    private static double Oai(double gate, double up)
    {
        double g = Math.Min(gate, Limit), u = Math.Clamp(up, -Limit, Limit);
        return g / (1 + Math.Exp(-Alpha * g)) * (u + 1);
    }

    [Theory]
    [InlineData(0f, 3f)]          // silu(0) = 0 whatever up is
    [InlineData(1f, 0f)]          // the + 1: up 0 still passes g·σ(αg)
    [InlineData(1f, -1f)]         // up −1 cancels the gate entirely
    [InlineData(6.5f, 2f)]        // below the limit: unclamped
    [InlineData(9f, 2f)]          // gate clamped to 7 from above
    [InlineData(-9f, 2f)]         // gate not clamped from below (≈ −9·σ(−15.3), tiny but not the value at −7)
    [InlineData(2f, 12f)]         // up clamped to 7
    [InlineData(2f, -12f)]        // up clamped to −7
    [InlineData(100f, -100f)]     // both clamped: 7·σ(11.9)·(−6)
    public void Hand_picked_values_follow_ggml_s_formula(float gate, float up)
    {
        float[] g = [gate];
        Activations.SwiGluClamped(g, [up], new float[1], Alpha, Limit);
        double expected = Oai(gate, up);
        Assert.True(Math.Abs(g[0] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"({gate}, {up}): {g[0]} vs {expected}");
    }

    [Fact]
    public void The_clamps_are_where_ggml_puts_them()
    {
        // Past the limit the output no longer depends on the input; a plain SwiGLU's would keep growing.
        float[] a = [8f, 20f, 3f, 3f], b = [3f, 3f, 8f, 20f];
        Activations.SwiGluClamped(a, [1f, 1f, 1f, 1f], new float[4], Alpha, Limit);
        Activations.SwiGluClamped(b, [8f, 20f, -8f, -20f], new float[4], Alpha, Limit);
        Assert.Equal(a[0], a[1]);
        Assert.Equal(b[0], b[1]);
        Assert.Equal(b[2], b[3]);
        Assert.Equal((float)Oai(8, -8), b[2], 5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(257)]
    public void SwiGluClamped_matches_the_reference_at_every_length(int n)
    {
        var rng = new Random(n + 3);
        var g = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * 30)).ToArray();
        var u = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * 30)).ToArray();
        var r = (float[])g.Clone();
        Activations.SwiGluClamped(g, u, new float[n], Alpha, Limit);
        Activations.SwiGluClampedReference(r, u, Alpha, Limit);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(g[i] - r[i]) <= 1e-5 * Math.Max(1, Math.Abs(r[i])), $"{i}: {g[i]} vs {r[i]}");
        }
    }

    [Fact]
    public void A_sink_joins_the_denominator_but_gets_no_weight()
    {
        float[] x = [1f, 2f, 0.5f];
        Softmax.ApplyWithSink(x, 1.5f);
        double d = Math.Exp(1) + Math.Exp(2) + Math.Exp(0.5) + Math.Exp(1.5);
        Assert.Equal(Math.Exp(1) / d, x[0], 6);
        Assert.Equal(Math.Exp(2) / d, x[1], 6);
        Assert.Equal(Math.Exp(0.5) / d, x[2], 6);
        // The weights sum to 1 minus the sink's share.
        Assert.Equal(1 - (Math.Exp(1.5) / d), x.Sum(), 6);
    }

    [Fact]
    public void A_sink_above_every_score_sets_the_maximum_without_overflow()
    {
        float[] x = [-100f, -101f];
        Softmax.ApplyWithSink(x, 100f);
        Assert.All(x, v => Assert.True(v >= 0 && v < 1e-30));
        float[] y = [500f, 499f];
        Softmax.ApplyWithSink(y, 1000f);
        Assert.All(y, v => Assert.True(float.IsFinite(v) && v >= 0));
    }

    [Fact]
    public void A_negative_infinite_sink_is_the_plain_softmax()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 37).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
        var y = (float[])x.Clone();
        Softmax.ApplyWithSink(x, float.NegativeInfinity);
        Softmax.Apply(y);
        Assert.Equal(y, x);
    }
}
