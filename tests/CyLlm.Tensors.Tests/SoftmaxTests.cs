namespace CyLlm.Tensors.Tests;

/// <summary>Softmax and the canonical sum under it, against their scalar references over lengths 0–256.</summary>
public sealed unsafe class SoftmaxTests
{
    [Theory]
    [MemberData(nameof(BatchInvarianceTests.Lengths), MemberType = typeof(BatchInvarianceTests))]
    public void Sum_equals_its_canonical_reference_bit_for_bit(int n)
    {
        var rng = new Random(n + 5);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)));
        }

        fixed (float* p = x)
        {
            float fast = VecDot.Sum(p, n), canonical = VecDot.SumCanonical(p, n);
            Assert.True(BitConverter.SingleToInt32Bits(fast) == BitConverter.SingleToInt32Bits(canonical), $"n {n}: {fast:R} vs canonical {canonical:R}");
        }
    }

    [Theory]
    [MemberData(nameof(BatchInvarianceTests.Lengths), MemberType = typeof(BatchInvarianceTests))]
    public void Softmax_matches_the_double_precision_reference(int n)
    {
        var rng = new Random(n + 9);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * 60); // exp(±30) without the max subtracted would lose the small ones
        }

        var want = x.ToArray();
        Softmax.Reference(want);
        Softmax.Apply(x);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(x[i] - want[i]) <= 1e-6 + (1e-5 * want[i]), $"n {n} i {i}: {x[i]} vs {want[i]}");
            total += x[i];
        }

        Assert.True(n == 0 || Math.Abs(total - 1) < 1e-5, $"sums to {total}");
    }

    [Fact]
    public void Softmax_survives_large_logits()
    {
        var x = new[] { 1000f, 999f, -1000f };
        Softmax.Apply(x);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), x[0], 5);
    }
}
