using System.Runtime.CompilerServices;

namespace CyLlm.Tensors.Quant;

public static unsafe partial class Dequantize
{
    // block_mxfp4 (17 bytes, 32 elements): u8 e (E8M0 shared exponent), u8 qs[16]; element j (< 16) =
    // kvalues_mxfp4[qs[j] & 15]·2^(e − 128), element j + 16 the high nibble (ggml's dequantize_row_mxfp4: the levels
    // are twice the E2M1 values, so the scale is half of 2^(e − 127)).

    /// <summary>ggml's kvalues_mxfp4: the E2M1 (FP4) values doubled.</summary>
    internal static ReadOnlySpan<sbyte> KValuesMxfp4 => [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    /// <summary>ggml_e8m0_to_fp32_half: 2^(e − 128) as float bits (subnormal for e &lt; 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float E8M0Half(byte e) =>
        BitConverter.UInt32BitsToSingle(e < 2 ? 0x00200000u << e : (uint)(e - 1) << 23);
}
