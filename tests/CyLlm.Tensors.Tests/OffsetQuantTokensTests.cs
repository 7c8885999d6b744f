using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// Q4_1, Q5_0 and Q5_1 unpack each block once for up to 4 tokens: every token's result is bit-identical to its
/// single-token kernel, and close to the scalar reference (CI repeats this with AVX-512 off and every intrinsic off).
/// </summary>
public unsafe class OffsetQuantTokensTests
{
    [Theory]
    [InlineData(GgmlType.Q4_1, 1, 1)]
    [InlineData(GgmlType.Q4_1, 3, 7)]
    [InlineData(GgmlType.Q4_1, 4, 24)]
    [InlineData(GgmlType.Q5_0, 1, 1)]
    [InlineData(GgmlType.Q5_0, 2, 30)]
    [InlineData(GgmlType.Q5_0, 4, 24)]
    [InlineData(GgmlType.Q5_1, 3, 1)]
    [InlineData(GgmlType.Q5_1, 4, 30)]
    public void Each_token_equals_its_single_token_result_and_the_reference(GgmlType type, int tokens, int blocks)
    {
        int n = blocks * 32;
        var rng = new Random(((int)type * 7) + tokens + blocks);
        var w = QuantTestData.RandomRow(type, n, rng);
        var x = QuantTestData.RandomFloats(tokens * n, rng, range: 2);
        var q8 = new Q8Block[tokens * blocks];
        var y = new float[tokens * 3];
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        fixed (Q8Block* pa = q8)
        {
            ActivationQuantizer.ToQ8(px, pa, tokens * n);
            switch (type)
            {
                case GgmlType.Q4_1:
                    VecDot.Q4_1Tokens(pw, pa, blocks, tokens, blocks, py, 3);
                    break;
                case GgmlType.Q5_0:
                    VecDot.Q5_0Tokens(pw, pa, blocks, tokens, blocks, py, 3);
                    break;
                default:
                    VecDot.Q5_1Tokens(pw, pa, blocks, tokens, blocks, py, 3);
                    break;
            }

            for (int t = 0; t < tokens; t++)
            {
                Q8Block* at = pa + (t * blocks);
                (float one, float reference) = type switch
                {
                    GgmlType.Q4_1 => (VecDot.Q4_1(pw, at, blocks), VecDot.Q4_1Reference(pw, at, blocks)),
                    GgmlType.Q5_0 => (VecDot.Q5_0(pw, at, blocks), VecDot.Q5_0Reference(pw, at, blocks)),
                    _ => (VecDot.Q5_1(pw, at, blocks), VecDot.Q5_1Reference(pw, at, blocks)),
                };
                Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(py[t * 3]));
                Assert.True(Math.Abs(one - reference) <= 1e-4f * (1 + Math.Abs(reference)), $"{type} token {t}: {one} vs reference {reference}");
            }
        }
    }

    [Fact]
    public void A_token_count_outside_1_to_4_is_refused()
    {
        var w = new byte[22];
        var q8 = new Q8Block[1];
        float y = 0;
        fixed (byte* pw = w)
        fixed (Q8Block* pa = q8)
        {
            byte* p = pw;
            Q8Block* a = pa;
            float* py = &y;
            Assert.Throws<ArgumentOutOfRangeException>(() => VecDot.Q5_0Tokens(p, a, 1, 5, 1, py, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => VecDot.Q5_0Tokens(p, a, 1, 0, 1, py, 1));
        }
    }
}
