using CyLlm.Tensors;

namespace CyLlm.Tensors.Tests;

public unsafe class OpsTests
{
    public static TheoryData<int> Lengths()
    {
        var d = new TheoryData<int>();
        for (int n = 0; n <= 256; n += 1)
        {
            d.Add(n);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsNorm_matches_reference(int n)
    {
        var rng = new Random(n);
        var x = QuantTestData.RandomFloats(n, rng, 5);
        var w = QuantTestData.RandomFloats(n, rng);
        var y = new float[n];
        var r = new float[n];
        RmsNorm.Apply(x, w, y, 1e-5f);
        RmsNorm.Reference(x, w, r, 1e-5f);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(r[i], y[i], 1e-5f * Math.Max(1, Math.Abs(r[i])));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SwiGlu_matches_reference(int n)
    {
        var rng = new Random(n + 77);
        var g = QuantTestData.RandomFloats(n, rng, 8);
        var u = QuantTestData.RandomFloats(n, rng, 2);
        var expected = (float[])g.Clone();
        Activations.SwiGluReference(expected, u);
        Activations.SwiGlu(g, u, new float[n]);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], g[i], 1e-5f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Fact]
    public void Rope_layouts_rotate_the_documented_pairs_and_preserve_norms()
    {
        const int headDim = 8;
        var inv = Rope.InverseFrequencies(headDim, 10000f, default);
        var cos = new float[4];
        var sin = new float[4];
        Rope.Angles(3, inv, cos, sin);
        var x = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var a = (float[])x.Clone();
        var b = (float[])x.Clone();
        fixed (float* pa = a, pb = b, pc = cos, ps = sin)
        {
            Rope.Interleaved(pa, 1, headDim, headDim, pc, ps);
            Rope.HalfSplit(pb, 1, headDim, headDim, pc, ps);
        }

        // Pair 0 of the interleaved layout is (x0, x1) rotated by 3 rad (frequency 1).
        Assert.Equal((1 * MathF.Cos(3)) - (2 * MathF.Sin(3)), a[0], 1e-5f);
        Assert.Equal((1 * MathF.Sin(3)) + (2 * MathF.Cos(3)), a[1], 1e-5f);
        // Pair 0 of the half-split layout is (x0, x4).
        Assert.Equal((1 * MathF.Cos(3)) - (5 * MathF.Sin(3)), b[0], 1e-5f);
        Assert.Equal((1 * MathF.Sin(3)) + (5 * MathF.Cos(3)), b[4], 1e-5f);
        Assert.Equal(Norm(x), Norm(a), 1e-4f);
        Assert.Equal(Norm(x), Norm(b), 1e-4f);
    }

    [Fact]
    public void Llama3_factors_keep_high_frequencies_and_scale_low_ones()
    {
        var f = Rope.Llama3FreqFactors(128, 500000f, 8f, 1f, 4f, 8192);
        Assert.Equal(1f, f[0]);
        Assert.Equal(8f, f[^1]);
        for (int i = 1; i < f.Length; i++)
        {
            Assert.True(f[i] >= f[i - 1]);
        }
    }

    private static float Norm(float[] v)
    {
        double s = 0;
        foreach (var x in v)
        {
            s += x * x;
        }

        return (float)Math.Sqrt(s);
    }
}
