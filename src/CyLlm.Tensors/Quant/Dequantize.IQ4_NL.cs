using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

public static unsafe partial class Dequantize
{
    // block_iq4_nl (18 bytes, 32 elements): f16 d, u8 qs[16]; element j (< 16) = d·kvalues[qs[j] & 15], element
    // j + 16 = d·kvalues[qs[j] >> 4] (ggml's dequantize_row_iq4_nl). IQ4_XS uses the same 16 levels.

    /// <summary>ggml's kvalues_iq4nl: the 16 non-linear levels of IQ4_NL and IQ4_XS.</summary>
    internal static ReadOnlySpan<sbyte> KValuesIq4Nl => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>Scalar reference: one IQ4_NL block into 32 floats.</summary>
    internal static void IQ4NLBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)block);
        NibbleLevels(block + 2, d, KValuesIq4Nl, y);
    }

    /// <summary>32 elements of 16 nibble bytes (low nibbles first): scale · kv[nibble] (IQ4_NL, IQ4_XS, MXFP4).</summary>
    internal static void NibbleLevels(byte* q, float scale, ReadOnlySpan<sbyte> kv, float* y)
    {
        for (int j = 0; j < 16; j++)
        {
            y[j] = scale * kv[q[j] & 0xF];
            y[j + 16] = scale * kv[q[j] >> 4];
        }
    }

    /// <summary><see cref="NibbleLevels"/> with vpshufb on <paramref name="table"/> and 8 products at a time (the same
    /// products, so the same bits).</summary>
    internal static void NibbleLevelsAvx2(byte* q, float scale, Vector128<sbyte> table, float* y)
    {
        var bytes = Sse2.LoadVector128(q);
        var low = Vector128.Create((byte)0x0F);
        var lo = Ssse3.Shuffle(table, Sse2.And(bytes, low).AsSByte());
        var hi = Ssse3.Shuffle(table, Sse2.And(Sse2.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte(), low).AsSByte());
        var s = Vector256.Create(scale);
        Avx.Multiply(s, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(lo))).Store(y);
        Avx.Multiply(s, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(lo, 8)))).Store(y + 8);
        Avx.Multiply(s, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(hi))).Store(y + 16);
        Avx.Multiply(s, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(hi, 8)))).Store(y + 24);
    }
}
