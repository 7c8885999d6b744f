using CyLlm.Tensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// Every vector kernel against its scalar reference over lengths 0–256 (every length for float types, every
/// whole number of blocks for quantized ones). CI runs this class again with DOTNET_EnableAVX512=0 and
/// DOTNET_EnableHWIntrinsic=0 so the narrower paths and the scalar fallback are covered too.
/// </summary>
public unsafe class VecDotTests
{
    public static TheoryData<int> AllLengths()
    {
        var d = new TheoryData<int>();
        for (int n = 0; n <= 256; n++)
        {
            d.Add(n);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(AllLengths))]
    public void F32_matches_reference(int n)
    {
        var rng = new Random(n);
        var a = QuantTestData.RandomFloats(n, rng);
        var b = QuantTestData.RandomFloats(n, rng);
        fixed (float* pa = a, pb = b)
        {
            double expected = VecDot.F32Reference(pa, pb, n);
            Assert.Equal(expected, VecDot.F32(pa, pb, n), 1e-4 * Math.Max(1, Math.Sqrt(n)));
        }
    }

    [Theory]
    [MemberData(nameof(AllLengths))]
    public void F16_and_BF16_match_reference(int n)
    {
        var rng = new Random(1000 + n);
        var x = QuantTestData.RandomFloats(n, rng);
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            var w = QuantTestData.RandomRow(type, n, rng);
            var wf = new float[n];
            Dequantize.Row(type, w, wf);
            fixed (byte* pw = w)
            fixed (float* px = x, pwf = wf)
            {
                double expected = VecDot.F32Reference(pwf, px, n);
                float actual = type == GgmlType.F16 ? VecDot.F16((ushort*)pw, px, n) : VecDot.BF16((ushort*)pw, px, n);
                Assert.Equal(expected, actual, 1e-4 * Math.Max(1, Math.Sqrt(n)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllLengths))]
    public void F16_prescaled_matches_reference(int n)
    {
        var rng = new Random(5000 + n);
        var x = QuantTestData.RandomFloats(n, rng, 100);
        var xs = x.Select(v => v * VecDot.PreScale).ToArray();
        var w = QuantTestData.RandomRow(GgmlType.F16, n, rng);
        var wf = new float[n];
        Dequantize.Row(GgmlType.F16, w, wf);
        fixed (byte* pw = w)
        fixed (float* px = x, pxs = xs, pwf = wf)
        {
            double expected = VecDot.F32Reference(pwf, px, n);
            Assert.Equal(expected, VecDot.F16PreScaled((ushort*)pw, pxs, n), 1e-2 * Math.Max(1, Math.Sqrt(n)));
        }
    }

    [Theory]
    [MemberData(nameof(AllLengths))]
    public void AxpyF16_matches_reference(int n)
    {
        var rng = new Random(7000 + n);
        var w = QuantTestData.RandomRow(GgmlType.F16, n, rng);
        var y = QuantTestData.RandomFloats(n, rng);
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = y[i] + (0.75f * Fp16.ToFloat(BitConverter.ToUInt16(w, i * 2)));
        }

        fixed (byte* pw = w)
        fixed (float* py = y)
        {
            VecDot.AxpyF16((ushort*)pw, 0.75f, py, n);
        }

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], y[i], 1e-5f);
        }
    }

    [Fact]
    public void F16_vector_conversion_is_exact_for_every_finite_half()
    {
        // All 63,488 finite halves (and both zeros), including subnormals, through the vector kernel.
        var w = new ushort[65536];
        var x = new float[65536];
        int n = 0;
        for (int i = 0; i < 65536; i++)
        {
            ushort h = (ushort)i;
            if (((h >> 10) & 0x1F) == 0x1F)
            {
                continue; // Inf/NaN: documented as not preserved
            }

            w[n] = h;
            n++;
        }

        for (int i = 0; i < n; i += 16)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                Array.Clear(x, 0, 16);
                x[lane] = 1f;
                fixed (ushort* pw = &w[i])
                fixed (float* px = x)
                {
                    int len = Math.Min(16, n - i);
                    if (lane >= len)
                    {
                        break;
                    }

                    float got = VecDot.F16(pw, px, len);
                    Assert.Equal(Fp16.ToFloat(w[i + lane]), got);
                }
            }
        }
    }

    public static TheoryData<GgmlType, int> BlockTypesAndLengths()
    {
        var d = new TheoryData<GgmlType, int>();
        foreach (var t in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1 })
        {
            for (int n = 0; n <= 256; n += 32)
            {
                d.Add(t, n);
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(BlockTypesAndLengths))]
    public void Q8_activation_kernels_match_their_integer_reference_exactly_in_sum(GgmlType type, int n)
    {
        var rng = new Random(((int)type * 7919) + n);
        var w = QuantTestData.RandomRow(type, n, rng);
        var x = QuantTestData.RandomFloats(n, rng, 3);
        var q8 = new Q8Block[Math.Max(1, n / 32)];
        fixed (byte* pw = w)
        fixed (float* px = x)
        fixed (Q8Block* pa = q8)
        {
            ActivationQuantizer.ToQ8(px, pa, n);
            int blocks = n / 32;
            float reference = type switch
            {
                GgmlType.Q8_0 => VecDot.Q8_0Reference(pw, pa, blocks),
                GgmlType.Q4_0 => VecDot.Q4_0Reference(pw, pa, blocks),
                GgmlType.Q4_1 => VecDot.Q4_1Reference(pw, pa, blocks),
                GgmlType.Q5_0 => VecDot.Q5_0Reference(pw, pa, blocks),
                _ => VecDot.Q5_1Reference(pw, pa, blocks),
            };
            float vector = type switch
            {
                GgmlType.Q8_0 => VecDot.Q8_0(pw, pa, blocks),
                GgmlType.Q4_0 => VecDot.Q4_0(pw, pa, blocks),
                GgmlType.Q4_1 => VecDot.Q4_1(pw, pa, blocks),
                GgmlType.Q5_0 => VecDot.Q5_0(pw, pa, blocks),
                _ => VecDot.Q5_1(pw, pa, blocks),
            };
            Assert.Equal(reference, vector, 1e-4 * Math.Max(1, Math.Abs(reference)));

            // And the integer dot approximates the float dot of the dequantized weights.
            var wf = new float[n];
            Dequantize.Row(type, w, wf);
            fixed (float* pwf = wf)
            {
                double exact = VecDot.F32Reference(pwf, px, n);
                double magnitude = 0;
                for (int i = 0; i < n; i++)
                {
                    magnitude += Math.Abs(wf[i] * x[i]);
                }

                Assert.True(Math.Abs(exact - vector) <= (0.02 * magnitude) + 1e-6, $"{type} n={n}: {vector} vs {exact}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void Activation_quantizer_vector_paths_match_scalar(int n)
    {
        var rng = new Random(n + 5);
        var x = QuantTestData.RandomFloats(n, rng, 10);
        var fast = new Q8Block[Math.Max(1, n / 32)];
        var slow = new Q8Block[Math.Max(1, n / 32)];
        fixed (float* px = x)
        fixed (Q8Block* pf = fast, ps = slow)
        {
            ActivationQuantizer.ToQ8(px, pf, n);
            for (int b = 0; b < n / 32; b++)
            {
                ActivationQuantizer.ToQ8Scalar(px + (b * 32), ps + b);
                Assert.Equal(ps[b].D, pf[b].D);
                Assert.Equal(ps[b].Sum, pf[b].Sum);
                for (int j = 0; j < 32; j++)
                {
                    Assert.Equal(ps[b].Q[j], pf[b].Q[j]);
                }
            }
        }
    }
}
