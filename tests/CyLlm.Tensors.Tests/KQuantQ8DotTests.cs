using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The integer K-quant kernels (Q4_K, Q5_K, Q6_K rows · 8-bit activation blocks) against their scalar references,
/// over 0–8 super-blocks (0–2,048 elements), and against the float dot of the dequantized row (the 8-bit activation
/// error, nothing more). CI runs this with AVX-512 off and with all intrinsics off (the reference then runs twice).
/// </summary>
public unsafe class KQuantQ8DotTests
{
    public static TheoryData<GgmlType, int> Cases()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in new[] { GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
        {
            for (int sb = 0; sb <= 8; sb++)
            {
                data.Add(type, sb);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Integer_k_quant_dots_match_the_scalar_reference_and_the_float_dot(GgmlType type, int superBlocks)
    {
        int n = superBlocks * 256;
        var rng = new Random(((int)type * 100) + superBlocks);
        var w = QuantTestData.RandomRow(type, n, rng);
        var x = QuantTestData.RandomFloats(n, rng, range: 2);
        var q8 = new Q8Block[Math.Max(1, n / 32)];
        var wf = new float[n];
        Dequantize.Row(type, w, wf);
        fixed (byte* pw = w)
        fixed (float* px = x, pwf = wf)
        fixed (Q8Block* pa = q8)
        {
            ActivationQuantizer.ToQ8K(px, pa, n);
            float reference = type switch
            {
                GgmlType.Q4_K => VecDot.Q4_KReference(pw, pa, superBlocks),
                GgmlType.Q5_K => VecDot.Q5_KReference(pw, pa, superBlocks),
                _ => VecDot.Q6_KReference(pw, pa, superBlocks),
            };
            float vector = type switch
            {
                GgmlType.Q4_K => VecDot.Q4_K(pw, pa, superBlocks),
                GgmlType.Q5_K => VecDot.Q5_K(pw, pa, superBlocks),
                _ => VecDot.Q6_K(pw, pa, superBlocks),
            };
            double magnitude = 0;
            for (int i = 0; i < n; i++)
            {
                magnitude += Math.Abs(wf[i] * x[i]);
            }

            // Same integer sums, float scale products summed in another order.
            Assert.True(Math.Abs(reference - vector) <= (1e-5 * magnitude) + 1e-6, $"{type} n={n}: vector {vector} vs reference {reference}");
            double exact = VecDot.F32Reference(pwf, px, n);
            Assert.True(Math.Abs(exact - vector) <= (0.02 * magnitude) + 1e-6, $"{type} n={n}: {vector} vs float dot {exact}");
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 1)]
    [InlineData(GgmlType.Q4_K, 3)]
    [InlineData(GgmlType.Q4_K, 4)]
    [InlineData(GgmlType.Q5_K, 1)]
    [InlineData(GgmlType.Q5_K, 2)]
    [InlineData(GgmlType.Q5_K, 4)]
    [InlineData(GgmlType.Q6_K, 2)]
    [InlineData(GgmlType.Q6_K, 3)]
    [InlineData(GgmlType.Q6_K, 4)]
    public void The_multi_token_kernels_equal_the_single_token_kernel_bit_for_bit(GgmlType type, int tokens)
    {
        const int superBlocks = 3, n = superBlocks * 256;
        var rng = new Random((int)type + tokens);
        var w = QuantTestData.RandomRow(type, n, rng);
        var x = QuantTestData.RandomFloats(tokens * n, rng, range: 2);
        var q8 = new Q8Block[tokens * n / 32];
        var sums = new short[tokens * n / 16];
        var y = new float[tokens * 5];
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        fixed (Q8Block* pa = q8)
        fixed (short* ps = sums)
        {
            for (int t = 0; t < tokens; t++)
            {
                ActivationQuantizer.ToQ8K(px + (t * n), pa + (t * n / 32), ps + (t * n / 16), n);
            }

            switch (type)
            {
                case GgmlType.Q4_K:
                    VecDot.Q4_KTokens(pw, pa, ps, n / 32, tokens, superBlocks, py, 5);
                    break;
                case GgmlType.Q5_K:
                    VecDot.Q5_KTokens(pw, pa, ps, n / 32, tokens, superBlocks, py, 5);
                    break;
                default:
                    VecDot.Q6_KTokens(pw, pa, ps, n / 32, tokens, superBlocks, py, 5);
                    break;
            }

            for (int t = 0; t < tokens; t++)
            {
                // The single-token entry derives its per-16 sums from the blocks: the same bits prove the quantizer's sums right.
                Q8Block* at = pa + (t * n / 32);
                float one = type switch
                {
                    GgmlType.Q4_K => VecDot.Q4_K(pw, at, superBlocks),
                    GgmlType.Q5_K => VecDot.Q5_K(pw, at, superBlocks),
                    _ => VecDot.Q6_K(pw, at, superBlocks),
                };
                Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(py[t * 5]));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Super_block_activations_match_the_scalar_quantization_and_their_sums_of_16(int superBlocks)
    {
        int n = superBlocks * 256;
        var x = QuantTestData.RandomFloats(n, new Random(superBlocks), range: 3);
        x[5] = 0;      // exact zero and a value on a rounding midpoint of the scale
        var q8 = new Q8Block[n / 32];
        var sums = new short[n / 16];
        fixed (float* px = x)
        fixed (Q8Block* pa = q8)
        fixed (short* ps = sums)
        {
            ActivationQuantizer.ToQ8K(px, pa, ps, n);
            for (int sb = 0; sb < superBlocks; sb++)
            {
                float amax = 0;
                for (int i = 0; i < 256; i++)
                {
                    amax = Math.Max(amax, Math.Abs(x[(sb * 256) + i]));
                }

                float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
                for (int b = 0; b < 8; b++)
                {
                    Q8Block* blk = pa + (sb * 8) + b;
                    Assert.Equal(d, blk->D);
                    int lo = 0, hi = 0;
                    for (int j = 0; j < 32; j++)
                    {
                        int q = (int)MathF.Round(x[(sb * 256) + (b * 32) + j] * id, MidpointRounding.ToEven);
                        Assert.Equal(q, blk->Q[j]);
                        if (j < 16)
                        {
                            lo += q;
                        }
                        else
                        {
                            hi += q;
                        }
                    }

                    Assert.Equal(lo + hi, blk->Sum);
                    Assert.Equal(lo, ps[(sb * 16) + (2 * b)]);
                    Assert.Equal(hi, ps[(sb * 16) + (2 * b) + 1]);
                }
            }
        }
    }

    [Fact]
    public void A_hand_made_q6_k_block_dots_to_its_hand_computed_value()
    {
        // One super-block: every weight q = 33 (value d·scale·(33 − 32) = d·scale), scales 1..16, d = 0.5;
        // activations all 1.0, quantized to 127 with scale D = 1/127.
        // Expected Σ = 0.5 · Σ_g 16·scale_g · 127·D = 0.5 · 16 · 136 · 127·D.
        var block = new byte[210];
        for (int i = 0; i < 128; i++)
        {
            block[i] = 0x11;   // both nibbles 1
        }

        for (int i = 0; i < 64; i++)
        {
            block[128 + i] = 0xAA; // every 2-bit field = 2 → bits 4..5 = 32; q = 1 | 32 = 33
        }

        for (int g = 0; g < 16; g++)
        {
            block[192 + g] = (byte)(g + 1);
        }

        QuantTestData.WriteHalf(block, 208, 0.5f);
        var x = Enumerable.Repeat(1f, 256).ToArray();
        var q8 = new Q8Block[8];
        fixed (byte* pw = block)
        fixed (float* px = x)
        fixed (Q8Block* pa = q8)
        {
            ActivationQuantizer.ToQ8K(px, pa, 256);
            Assert.Equal(127, pa[0].Q[0]);
            Assert.Equal(1f / 127, pa[0].D);   // one full-precision scale per 256
            float expected = 0.5f * 16 * 136 * 127 * pa[0].D;
            Assert.Equal(expected, VecDot.Q6_K(pw, pa, 1), 1e-3f);
            Assert.Equal(expected, VecDot.Q6_KReference(pw, pa, 1), 1e-3f);
        }
    }
}
