namespace CyLlm.Tensors.Tests;

/// <summary>Gemma's element-wise kernels against scalar double-precision references: GeGLU (tanh GELU on the
/// gate) and soft-capping, at every length 0..256 (vector bodies and scalar tails) and over a wide input range.</summary>
public sealed class GemmaActivationTests
{
    public static TheoryData<int> Lengths()
    {
        var d = new TheoryData<int>();
        for (int n = 0; n <= 256; n += 7)
        {
            d.Add(n);
        }

        d.Add(256);
        return d;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void GeGlu_matches_the_tanh_gelu_reference(int n)
    {
        var rng = new Random(n + 5);
        var g = QuantTestData.RandomFloats(n, rng, 8);
        var u = QuantTestData.RandomFloats(n, rng, 2);
        var expected = (float[])g.Clone();
        Activations.GeGluReference(expected, u);
        Activations.GeGlu(g, u, new float[n]);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], g[i], 2e-6f * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Fact]
    public void GeGlu_is_the_tanh_approximation_not_silu_or_erf()
    {
        // gelu_tanh(1) = 0.5·(1 + tanh(√(2/π)·1.044715)) = 0.841192; exact-erf GELU gives 0.841345, SiLU 0.731059.
        float[] g = [1f, -1f, 3f];
        Activations.GeGlu(g, [1f, 1f, 2f], new float[3]);
        Assert.Equal(0.841192f, g[0], 1e-5f);
        Assert.Equal(-0.158808f, g[1], 1e-5f);
        Assert.Equal(2f * 2.996363f, g[2], 1e-4f);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SoftCap_matches_the_scalar_reference(int n)
    {
        var rng = new Random(n + 11);
        foreach (float cap in new[] { 0.25f, 1f, 30f, 50f })
        {
            var x = QuantTestData.RandomFloats(n, rng, 4 * cap);
            var expected = (float[])x.Clone();
            Activations.SoftCapReference(expected, cap);
            Activations.SoftCap(x, cap);
            for (int i = 0; i < n; i++)
            {
                // TensorPrimitives.Tanh is a few 1e-6 off the exact tanh (absolute, on [-1, 1]); the cap scales that.
                Assert.Equal(expected[i], x[i], 4e-6f * cap);
                Assert.True(Math.Abs(x[i]) <= cap, $"|{x[i]}| exceeds the cap {cap}");
            }
        }
    }

    [Fact]
    public void SoftCap_is_near_identity_for_small_values_and_saturates_at_the_cap()
    {
        float[] x = [0.001f, -0.001f, 1000f, -1000f, 0f];
        Activations.SoftCap(x, 50f);
        Assert.Equal(0.001f, x[0], 1e-5f);
        Assert.Equal(-0.001f, x[1], 1e-5f);
        Assert.Equal(50f, x[2], 1e-4f);
        Assert.Equal(-50f, x[3], 1e-4f);
        Assert.Equal(0f, x[4], 1e-5f);
    }
}
