using CyLlm.Tensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>Dequantization of hand-made blocks, values worked out by hand from ggml-common.h layouts.</summary>
public class DequantizeTests
{
    private static float[] Decode(GgmlType type, byte[] block, int n)
    {
        var y = new float[n];
        Dequantize.Row(type, block, y);
        return y;
    }

    private static byte[] Half(float v) => BitConverter.GetBytes(Fp16.FromFloat(v));

    [Fact]
    public void Q8_0_is_scale_times_int8()
    {
        var b = new byte[34];
        Half(0.5f).CopyTo(b, 0);
        for (int j = 0; j < 32; j++)
        {
            b[2 + j] = (byte)(sbyte)(j - 16);
        }

        var y = Decode(GgmlType.Q8_0, b, 32);
        for (int j = 0; j < 32; j++)
        {
            Assert.Equal((j - 16) * 0.5f, y[j]);
        }
    }

    [Fact]
    public void Q4_0_low_nibbles_first_then_high_minus_8()
    {
        var b = new byte[18];
        Half(2f).CopyTo(b, 0);
        b[2] = 0xF0; // element 0 = (0 − 8)·2 = −16, element 16 = (15 − 8)·2 = 14
        b[3] = 0x19; // element 1 = (9 − 8)·2 = 2, element 17 = (1 − 8)·2 = −14
        var y = Decode(GgmlType.Q4_0, b, 32);
        Assert.Equal(-16f, y[0]);
        Assert.Equal(14f, y[16]);
        Assert.Equal(2f, y[1]);
        Assert.Equal(-14f, y[17]);
        Assert.Equal(-16f, y[2]); // zero byte → (0 − 8)·2
    }

    [Fact]
    public void Q4_1_is_nibble_times_d_plus_m()
    {
        var b = new byte[20];
        Half(0.25f).CopyTo(b, 0);
        Half(-1f).CopyTo(b, 2);
        b[4] = 0x3A; // element 0 = 10·0.25 − 1 = 1.5, element 16 = 3·0.25 − 1 = −0.25
        var y = Decode(GgmlType.Q4_1, b, 32);
        Assert.Equal(1.5f, y[0]);
        Assert.Equal(-0.25f, y[16]);
        Assert.Equal(-1f, y[1]);
    }

    [Fact]
    public void Q5_0_takes_fifth_bit_from_qh()
    {
        var b = new byte[22];
        Half(1f).CopyTo(b, 0);
        // qh bit 0 → element 0, bit 16 → element 16, bit 31 → element 31.
        BitConverter.GetBytes((1u << 0) | (1u << 16) | (1u << 31)).CopyTo(b, 2);
        b[6] = 0x21;  // element 0: 1 | 16 = 17 − 16 = 1; element 16: 2 | 16 = 18 − 16 = 2
        b[21] = 0xF0; // element 15: 0 − 16 = −16; element 31: 15 | 16 = 31 − 16 = 15
        var y = Decode(GgmlType.Q5_0, b, 32);
        Assert.Equal(1f, y[0]);
        Assert.Equal(2f, y[16]);
        Assert.Equal(-16f, y[15]);
        Assert.Equal(15f, y[31]);
        Assert.Equal(-16f, y[1]);
    }

    [Fact]
    public void Q5_1_adds_min()
    {
        var b = new byte[24];
        Half(0.5f).CopyTo(b, 0);
        Half(10f).CopyTo(b, 2);
        BitConverter.GetBytes(1u << 1).CopyTo(b, 4);
        b[9] = 0x03; // element 1: 3 | 16 = 19 → 19·0.5 + 10 = 19.5
        var y = Decode(GgmlType.Q5_1, b, 32);
        Assert.Equal(19.5f, y[1]);
        Assert.Equal(10f, y[0]);
    }

    [Fact]
    public void Q4_K_uses_six_bit_scales_and_mins()
    {
        var b = new byte[144];
        Half(1f).CopyTo(b, 0);      // d
        Half(0.5f).CopyTo(b, 2);    // dmin
        // scales[0..3] low 6 bits: scale of sub-blocks 0..3; scales[4..7] low 6 bits: mins of 0..3.
        b[4 + 0] = 3;  // sub-block 0 scale 3
        b[4 + 4] = 2;  // sub-block 0 min 2
        b[4 + 1] = 5;  // sub-block 1 scale 5
        b[4 + 5] = 4;  // sub-block 1 min 4
        // sub-blocks 4..7: scale = (scales[j+4] & 0xF) | ((scales[j−4] >> 6) << 4)
        b[4 + 8] = 0x21;            // sub-block 4: scale low 1, min low 2
        b[4 + 0] |= 0x40;           // sub-block 4 scale high bits 01 → scale = 1 | 16 = 17
        b[16 + 0] = 0x97;           // qs[0]: element 0 nibble 7, element 32 nibble 9
        b[16 + 64] = 0x02;          // qs[64]: element 128 (sub-block 4) nibble 2
        var y = Decode(GgmlType.Q4_K, b, 256);
        Assert.Equal((1f * 3 * 7) - (0.5f * 2), y[0]);
        Assert.Equal((1f * 5 * 9) - (0.5f * 4), y[32]);
        Assert.Equal((1f * 17 * 2) - (0.5f * 2), y[128]);
        Assert.Equal(-(0.5f * 2), y[1]);
    }

    [Fact]
    public void Q5_K_adds_high_bit_16()
    {
        var b = new byte[176];
        Half(1f).CopyTo(b, 0);
        Half(0f).CopyTo(b, 2);
        b[4 + 0] = 1;      // sub-block 0 scale 1
        b[4 + 1] = 1;      // sub-block 1 scale 1
        b[16 + 0] = 0x03;  // qh[0]: bit0 → element 0 +16, bit1 → element 32 +16
        b[48 + 0] = 0x21;  // ql[0]: element 0 nibble 1, element 32 nibble 2
        var y = Decode(GgmlType.Q5_K, b, 256);
        Assert.Equal(17f, y[0]);
        Assert.Equal(18f, y[32]);
        Assert.Equal(0f, y[1]);
    }

    [Fact]
    public void Q6_K_combines_low_and_high_bits_minus_32()
    {
        var b = new byte[210];
        b[192 + 0] = 2;               // scale of elements 0..15
        b[192 + 2] = unchecked((byte)-1); // scale of elements 32..47
        Half(0.5f).CopyTo(b, 208);
        b[0] = 0x05;                  // ql[0] low nibble 5 → element 0
        b[128] = 0x03 | (0x02 << 2);  // qh[0]: bits 0-1 = 3 (element 0), bits 2-3 = 2 (element 32)
        b[32] = 0x07;                 // ql[32] low nibble 7 → element 32
        var y = Decode(GgmlType.Q6_K, b, 256);
        Assert.Equal(0.5f * 2 * ((5 | (3 << 4)) - 32), y[0]);
        Assert.Equal(0.5f * -1 * ((7 | (2 << 4)) - 32), y[32]);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void Float_rows_convert_to_the_references_bits_at_every_length(GgmlType type)
    {
        // Every finite half and bfloat16 value class: normals, subnormals, ±0 (CI repeats this with AVX-512 and all
        // intrinsics off, so each vector path is compared with the scalar table).
        var rng = new Random((int)type);
        for (int n = 0; n <= 256; n++)
        {
            var src = new ushort[n];
            for (int i = 0; i < n; i++)
            {
                ushort bits;
                do
                {
                    bits = (ushort)rng.Next(65536);
                }
                while (type == GgmlType.F16 ? (bits & 0x7C00) == 0x7C00 : (bits & 0x7F80) == 0x7F80);
                src[i] = bits;
            }

            var row = new float[n];
            var reference = new float[n];
            unsafe
            {
                fixed (ushort* ps = src)
                fixed (float* pr = row, pf = reference)
                {
                    Dequantize.Row(type, (byte*)ps, pr, n);
                    Dequantize.RowReference(type, (byte*)ps, pf, n);
                }
            }

            for (int i = 0; i < n; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(reference[i]) == BitConverter.SingleToInt32Bits(row[i]), $"{type} n={n} element {i} (0x{src[i]:x4}): {row[i]:R} vs {reference[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS)]
    [InlineData(GgmlType.MXFP4)]
    public void Hand_made_low_bit_blocks_decode_to_their_hand_computed_values(GgmlType type)
    {
        var block = HandMadeBlocks.Build(type);
        int n = GgmlTypeInfo.BlockSize(type);
        var y = Decode(type, block, n);
        var reference = new float[n];
        unsafe
        {
            fixed (byte* pb = block)
            fixed (float* pr = reference)
            {
                Dequantize.RowReference(type, pb, pr, n);
            }
        }

        foreach (var (e, v) in HandMadeBlocks.Expected(type))
        {
            Assert.True(v == y[e], $"{type} element {e}: {y[e]}, by hand {v}");
            Assert.True(v == reference[e], $"{type} element {e} (reference): {reference[e]}, by hand {v}");
        }
    }

    [Fact]
    public void Mxfp4_scales_are_e8m0_halved_with_ggmls_subnormals()
    {
        Assert.Equal(1f, Dequantize.E8M0Half(128));                 // 2^(128 − 128)
        Assert.Equal(0.5f, Dequantize.E8M0Half(127));
        Assert.Equal(MathF.Pow(2, 126), Dequantize.E8M0Half(254));
        Assert.Equal(MathF.Pow(2, -126), Dequantize.E8M0Half(2));   // the smallest normal
        Assert.Equal(0x00400000u, BitConverter.SingleToUInt32Bits(Dequantize.E8M0Half(1)));   // 2^−127, subnormal
        Assert.Equal(0x00200000u, BitConverter.SingleToUInt32Bits(Dequantize.E8M0Half(0)));   // 2^−128
    }

    [Fact]
    public void F16_and_BF16_decode_exactly()
    {
        var h = new byte[4];
        Half(-2.5f).CopyTo(h, 0);
        Half(65504f).CopyTo(h, 2);
        Assert.Equal(new[] { -2.5f, 65504f }, Decode(GgmlType.F16, h, 2));
        var bf = new byte[2];
        BitConverter.GetBytes(Fp16.FloatToBF16(1.5f)).CopyTo(bf, 0);
        Assert.Equal(1.5f, Decode(GgmlType.BF16, bf, 1)[0]);
    }

    [Fact]
    public void Rejects_partial_blocks_short_buffers_and_unsupported_types()
    {
        Assert.Throws<ArgumentException>(() => Dequantize.Row(GgmlType.Q8_0, new byte[34], new float[33]));
        Assert.Throws<ArgumentException>(() => Dequantize.Row(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<NotSupportedException>(() => Dequantize.Row(GgmlType.IQ2_XXS, new byte[66], new float[256]));
    }
}

/// <summary>Vector dequantization against the scalar reference, bit for bit, for every type and whole-block length 0–256
/// (0–2,048 for Q2_K, Q3_K and IQ4_XS).</summary>
public unsafe class DequantizeVectorTests
{
    public static TheoryData<GgmlType, int> Cases()
    {
        var d = new TheoryData<GgmlType, int>();
        foreach (var t in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.MXFP4 })
        {
            int bs = GgmlTypeInfo.BlockSize(t);
            for (int n = 0; n <= 256; n += bs)
            {
                d.Add(t, n);
            }
        }

        // The super-block types with a vector path: 0–2,048 elements.
        foreach (var t in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.IQ4_XS })
        {
            for (int n = 0; n <= 2048; n += 256)
            {
                d.Add(t, n);
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Vector_dequantization_equals_reference(GgmlType type, int n)
    {
        var w = QuantTestData.RandomRow(type, n, new Random(n + (int)type));
        var fast = new float[n];
        var slow = new float[n];
        fixed (byte* pw = w)
        fixed (float* pf = fast, ps = slow)
        {
            Dequantize.Row(type, pw, pf, n);
            Dequantize.RowReference(type, pw, ps, n);
        }

        Assert.Equal(slow, fast);
    }
}
