using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

public static unsafe partial class Dequantize
{
    // block_q2_K (84 bytes): u8 scales[16] (low nibble: scale, high nibble: min, one byte per 16 elements), u8 qs[64],
    // f16 d, f16 dmin. Element l of 32-element group g = 4h + j is bits 2j..2j+1 of qs[32h + l]; its byte of scales is
    // 2g + l/16; value = d·scale·q − dmin·min (ggml's dequantize_row_q2_K).

    /// <summary>Scalar reference: one Q2_K super-block into 256 floats.</summary>
    internal static void Q2KBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)(block + 80));
        float dmin = Fp16.ToFloat(*(ushort*)(block + 82));
        for (int g = 0; g < 8; g++)
        {
            byte* q = block + 16 + (32 * (g / 4));
            int shift = 2 * (g % 4);
            for (int l = 0; l < 32; l++)
            {
                int sc = block[(2 * g) + (l / 16)];
                float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
                y[(32 * g) + l] = (dl * ((q[l] >> shift) & 3)) - ml;
            }
        }
    }

    /// <summary><see cref="Q2KBlock"/> 8 elements at a time (the same multiply and subtract, so the same bits).</summary>
    private static void Q2KBlockAvx2(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)(block + 80));
        float dmin = Fp16.ToFloat(*(ushort*)(block + 82));
        var three = Vector256.Create(3);
        for (int g = 0; g < 8; g++)
        {
            byte* q = block + 16 + (32 * (g / 4));
            var shift = Vector256.Create((uint)(2 * (g % 4)));
            for (int half = 0; half < 2; half++)
            {
                int sc = block[(2 * g) + half];
                var dl = Vector256.Create(d * (sc & 0xF));
                var ml = Vector256.Create(dmin * (sc >> 4));
                for (int k = 0; k < 16; k += 8)
                {
                    int l = (16 * half) + k;
                    var v = Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.ConvertToVector256Int32(q + l), shift), three);
                    Avx.Subtract(Avx.Multiply(dl, Avx.ConvertToVector256Single(v)), ml).Store(y + (32 * g) + l);
                }
            }
        }
    }
}
