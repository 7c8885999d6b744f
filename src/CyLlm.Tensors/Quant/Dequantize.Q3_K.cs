using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

public static unsafe partial class Dequantize
{
    // block_q3_K (110 bytes): u8 hmask[32], u8 qs[64], u8 scales[12], f16 d. Element l of 32-element group g = 4h + j:
    // low bits 2j..2j+1 of qs[32h + l], high bit g of hmask[l]; value = d·(s − 32)·(q − 4) with s the 6-bit scale of
    // its 16 elements, 2g + l/16 (ggml's dequantize_row_q3_K).

    /// <summary>Scale <paramref name="i"/> (0..15) of a Q3_K super-block minus 32: low 4 bits from byte i (i &lt; 8) or
    /// the high nibble of byte i − 8, high 2 bits from byte 8 + i mod 4, bits 2·(i / 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ScaleQ3K(byte* scales, int i)
    {
        int low = i < 8 ? scales[i] & 0xF : scales[i - 8] >> 4;
        int high = (scales[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /// <summary>Scalar reference: one Q3_K super-block into 256 floats.</summary>
    internal static void Q3KBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)(block + 108));
        byte* hm = block;
        for (int g = 0; g < 8; g++)
        {
            byte* q = block + 32 + (32 * (g / 4));
            int shift = 2 * (g % 4);
            for (int l = 0; l < 32; l++)
            {
                float dl = d * ScaleQ3K(block + 96, (2 * g) + (l / 16));
                y[(32 * g) + l] = dl * (((q[l] >> shift) & 3) - (((hm[l] >> g) & 1) == 0 ? 4 : 0));
            }
        }
    }

    /// <summary><see cref="Q3KBlock"/> 8 elements at a time (the same products, so the same bits).</summary>
    private static void Q3KBlockAvx2(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)(block + 108));
        var three = Vector256.Create(3);
        var one = Vector256.Create(1);
        var four = Vector256.Create(4);
        for (int g = 0; g < 8; g++)
        {
            byte* q = block + 32 + (32 * (g / 4));
            var shift = Vector256.Create((uint)(2 * (g % 4)));
            var hshift = Vector256.Create((uint)g);
            for (int half = 0; half < 2; half++)
            {
                var dl = Vector256.Create(d * ScaleQ3K(block + 96, (2 * g) + half));
                for (int k = 0; k < 16; k += 8)
                {
                    int l = (16 * half) + k;
                    var low = Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.ConvertToVector256Int32(q + l), shift), three);
                    var high = Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.ConvertToVector256Int32(block + l), hshift), one);
                    // q − 4 where the high bit is clear: low + 4·high − 4.
                    var v = Avx2.Subtract(Avx2.Add(low, Avx2.ShiftLeftLogical(high, 2)), four);
                    Avx.Multiply(dl, Avx.ConvertToVector256Single(v)).Store(y + (32 * g) + l);
                }
            }
        }
    }
}
