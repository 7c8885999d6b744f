using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The integer kernels of Q2_K, Q3_K and IQ4_XS (rows · <see cref="ActivationQuantizer.ToQ8K"/> activations), IQ4_NL and
/// MXFP4 (· <see cref="ActivationQuantizer.ToQ8"/>): hand-made blocks against hand-computed values, the vector paths against
/// their scalar references bit for bit over 0–2,048 elements, and against the float dot of the dequantized row (the
/// 8-bit activation error, nothing more). CI runs this with AVX-512 off and with all intrinsics off.
/// </summary>
public unsafe class LowBitQuantDotTests
{
    private static readonly GgmlType[] Types = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4];

    /// <summary>Blocks of the kernel's unit: super-blocks, or 32-element blocks for IQ4_NL.</summary>
    private static float Dot(GgmlType type, byte* w, Q8Block* a, int n) => type switch
    {
        GgmlType.Q2_K => VecDot.Q2_K(w, a, n / 256),
        GgmlType.Q3_K => VecDot.Q3_K(w, a, n / 256),
        GgmlType.IQ4_NL => VecDot.IQ4_NL(w, a, n / 32),
        GgmlType.MXFP4 => VecDot.MXFP4(w, a, n / 32),
        _ => VecDot.IQ4_XS(w, a, n / 256),
    };

    private static float Reference(GgmlType type, byte* w, Q8Block* a, int n) => type switch
    {
        GgmlType.Q2_K => VecDot.Q2_KReference(w, a, n / 256),
        GgmlType.Q3_K => VecDot.Q3_KReference(w, a, n / 256),
        GgmlType.IQ4_NL => VecDot.IQ4_NLReference(w, a, n / 32),
        GgmlType.MXFP4 => VecDot.MXFP4Reference(w, a, n / 32),
        _ => VecDot.IQ4_XSReference(w, a, n / 256),
    };

    private static void Quantize(GgmlType type, float* x, Q8Block* a, int n)
    {
        if (type is GgmlType.IQ4_NL or GgmlType.MXFP4)
        {
            ActivationQuantizer.ToQ8(x, a, n);
        }
        else
        {
            ActivationQuantizer.ToQ8K(x, a, n);
        }
    }

    public static TheoryData<GgmlType, int> Lengths()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in Types)
        {
            // 0–2,048 elements: every whole number of super-blocks, every 32-element block count for IQ4_NL.
            int step = GgmlTypeInfo.BlockSize(type);
            for (int n = 0; n <= 2048; n += step)
            {
                data.Add(type, n);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void The_vector_kernel_equals_its_scalar_reference_bit_for_bit_and_the_float_dot_within_the_activation_error(GgmlType type, int n)
    {
        var rng = new Random(((int)type * 1000) + n);
        var w = QuantTestData.RandomRow(type, n, rng);
        var x = QuantTestData.RandomFloats(n, rng, range: 2);
        var q8 = new Q8Block[Math.Max(1, n / 32)];
        var wf = new float[n];
        Dequantize.Row(type, w, wf);
        fixed (byte* pw = w)
        fixed (float* px = x, pwf = wf)
        fixed (Q8Block* pa = q8)
        {
            Quantize(type, px, pa, n);
            float vector = Dot(type, pw, pa, n);
            float reference = Reference(type, pw, pa, n);
            Assert.True(BitConverter.SingleToInt32Bits(reference) == BitConverter.SingleToInt32Bits(vector), $"{type} n={n}: vector {vector} vs reference {reference}");
            double magnitude = 0;
            for (int i = 0; i < n; i++)
            {
                magnitude += Math.Abs(wf[i] * x[i]);
            }

            double exact = VecDot.F32Reference(pwf, px, n);
            Assert.True(Math.Abs(exact - vector) <= (0.02 * magnitude) + 1e-6, $"{type} n={n}: {vector} vs float dot {exact}");
        }
    }

    public static TheoryData<GgmlType> AllTypes() => new(Types);

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void A_single_activation_picks_out_the_hand_computed_weight(GgmlType type)
    {
        // Activations all zero but element e = 3 (scale D = 0.5): the dot is 1.5 × the weight, every hand value a
        // short binary fraction, so the result is exact.
        var block = HandMadeBlocks.Build(type);
        int n = GgmlTypeInfo.BlockSize(type);
        var q8 = new Q8Block[n / 32];
        fixed (byte* pw = block)
        fixed (Q8Block* pa = q8)
        {
            foreach (var (e, v) in HandMadeBlocks.Expected(type))
            {
                new Span<Q8Block>(pa, q8.Length).Clear();
                for (int b = 0; b < q8.Length; b++)
                {
                    pa[b].D = 0.5f;
                }

                pa[e / 32].Q[e % 32] = 3;
                pa[e / 32].Sum = 3;
                Assert.Equal(v * 1.5f, Dot(type, pw, pa, n));
                Assert.Equal(v * 1.5f, Reference(type, pw, pa, n));
            }
        }
    }

    [Fact]
    public void A_hand_made_q2_k_block_dots_all_ones_to_its_closed_form()
    {
        // Every q = 1 (qs bytes 0b01010101), group of 16 k has scale k mod 15 + 1 and min 1; d = 0.5, dmin = 0.25.
        // Σ w = 16·(0.5·Σ_k scale_k − 0.25·16) with Σ_k scale_k = (1 + … + 15) + 1 = 121: 16·56.5 = 904.
        var block = new byte[84];
        for (int k = 0; k < 16; k++)
        {
            block[k] = (byte)(((k % 15) + 1) | (1 << 4));
        }

        block.AsSpan(16, 64).Fill(0x55);
        QuantTestData.WriteHalf(block, 80, 0.5f);
        QuantTestData.WriteHalf(block, 82, 0.25f);
        AssertAllOnes(GgmlType.Q2_K, block, 904f);
    }

    [Fact]
    public void A_hand_made_q3_k_block_dots_all_ones_to_its_closed_form()
    {
        // Every q − 4 = 2 (low bits 2 everywhere: qs bytes 0b10101010; every hmask bit set: 2 + 4 − 4), every scale
        // 34 − 32 = 2 (low nibbles 2: bytes 0..7 = 0x22; high bits 2: bytes 8..11 = 0b10101010), d = 0.5:
        // Σ w = 256·0.5·2·2 = 512.
        var block = new byte[110];
        block.AsSpan(0, 32).Fill(0xFF);
        block.AsSpan(32, 64).Fill(0xAA);
        block.AsSpan(96, 8).Fill(0x22);
        block.AsSpan(104, 4).Fill(0xAA);
        QuantTestData.WriteHalf(block, 108, 0.5f);
        AssertAllOnes(GgmlType.Q3_K, block, 512f);
    }

    [Fact]
    public void A_hand_made_iq4_nl_block_dots_all_ones_to_its_closed_form()
    {
        // Nibbles 0..15 twice (byte j = j | (15 − j) << 4): the 32 weights are every kvalue twice; Σ kvalues = 401 − 495
        // = −94, so Σ w = 0.5·2·−94 = −94.
        var block = new byte[18];
        for (int j = 0; j < 16; j++)
        {
            block[2 + j] = (byte)(j | ((15 - j) << 4));
        }

        QuantTestData.WriteHalf(block, 0, 0.5f);
        AssertAllOnes(GgmlType.IQ4_NL, block, -94f);
    }

    [Fact]
    public void A_hand_made_iq4_xs_block_dots_all_ones_to_its_closed_form()
    {
        // Every group as the IQ4_NL block above (Σ of its 32 levels = −188), group ib with scale ib + 1 + 32 (high bits 2
        // for all: scales_h = 0xAAAA; low nibbles ib + 1), d = 0.25: Σ w = 0.25·−188·(1 + … + 8) = −1,692.
        var block = new byte[136];
        QuantTestData.WriteHalf(block, 0, 0.25f);
        block[2] = 0xAA;
        block[3] = 0xAA;
        for (int ib = 0; ib < 8; ib += 2)
        {
            block[4 + (ib / 2)] = (byte)((ib + 1) | ((ib + 2) << 4));
        }

        for (int ib = 0; ib < 8; ib++)
        {
            for (int j = 0; j < 16; j++)
            {
                block[8 + (16 * ib) + j] = (byte)(j | ((15 - j) << 4));
            }
        }

        AssertAllOnes(GgmlType.IQ4_XS, block, -1692f);
    }

    /// <summary>Σ w (<paramref name="expected"/>, by hand) from the dequantized block, and from the kernels with activations all
    /// 1.0, quantized to 127 with scale D (1/127, rounded through f16 for IQ4_NL and MXFP4 as ggml's Q8_0): expected·127·D.</summary>
    [Fact]
    public void A_hand_made_mxfp4_block_dots_all_ones_to_its_closed_form()
    {
        // Byte j = (j mod 8) | (j mod 8) << 4: the levels 0, 1, 2, 3, 4, 6, 8, 12 four times each (Σ 36·4 = 144); e = 127
        // (scale 2^−1): Σ w = 72.
        var block = new byte[17];
        block[0] = 127;
        for (int j = 0; j < 16; j++)
        {
            block[1 + j] = (byte)((j & 7) | ((j & 7) << 4));
        }

        AssertAllOnes(GgmlType.MXFP4, block, 72f);
    }

    private static void AssertAllOnes(GgmlType type, byte[] block, float expected)
    {
        int n = GgmlTypeInfo.BlockSize(type);
        var x = Enumerable.Repeat(1f, n).ToArray();
        var q8 = new Q8Block[n / 32];
        var wf = new float[n];
        Dequantize.Row(type, block, wf);
        Assert.Equal(expected, wf.Sum(), 1e-3f);   // the dequantized block agrees with the closed form
        fixed (byte* pw = block)
        fixed (float* px = x)
        fixed (Q8Block* pa = q8)
        {
            Quantize(type, px, pa, n);
            Assert.Equal(127, pa[0].Q[0]);
            float viaActivations = expected * 127 * pa[0].D;
            Assert.Equal(viaActivations, Dot(type, pw, pa, n), 1e-3f);
            Assert.Equal(viaActivations, Reference(type, pw, pa, n), 1e-3f);
        }
    }
}
