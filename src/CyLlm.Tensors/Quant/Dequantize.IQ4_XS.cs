using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CyLlm.Tensors.Quant;

public static unsafe partial class Dequantize
{
    // block_iq4_xs (136 bytes, 256 elements): f16 d, u16 scales_h, u8 scales_l[4], u8 qs[128]. Group ib (32 elements)
    // has the 6-bit scale ls = nibble ib of scales_l | bits 2ib..2ib+1 of scales_h << 4 and the 16 bytes qs[16ib..],
    // decoded as IQ4_NL with d·(ls − 32) (ggml's dequantize_row_iq4_xs).

    /// <summary>The scale of 32-element group <paramref name="ib"/> (0..7) of an IQ4_XS super-block, minus 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ScaleIQ4XS(byte* block, int ib)
    {
        int low = (block[4 + (ib / 2)] >> (4 * (ib % 2))) & 0xF;
        int high = (*(ushort*)(block + 2) >> (2 * ib)) & 3;
        return (low | (high << 4)) - 32;
    }

    /// <summary>Scalar reference: one IQ4_XS super-block into 256 floats.</summary>
    internal static void IQ4XSBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)block);
        for (int ib = 0; ib < 8; ib++)
        {
            NibbleLevels(block + 8 + (16 * ib), d * ScaleIQ4XS(block, ib), KValuesIq4Nl, y + (32 * ib));
        }
    }

    /// <summary><see cref="IQ4XSBlock"/> through <see cref="NibbleLevelsAvx2"/>.</summary>
    private static void IQ4XSBlockAvx2(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)block);
        var table = VecDot.Iq4NlTable().GetLower();
        for (int ib = 0; ib < 8; ib++)
        {
            NibbleLevelsAvx2(block + 8 + (16 * ib), d * ScaleIQ4XS(block, ib), table, y + (32 * ib));
        }
    }
}
