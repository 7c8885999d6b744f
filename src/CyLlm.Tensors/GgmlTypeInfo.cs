namespace CyLlm.Tensors;

/// <summary>Block geometry of each <see cref="GgmlType"/>: elements per block and bytes per block.</summary>
public static class GgmlTypeInfo
{
    /// <summary>Elements in a K-quant super-block.</summary>
    public const int QK_K = 256;

    /// <summary>Elements in a legacy quant block (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1).</summary>
    public const int QK = 32;

    /// <summary>True for the types CyLlm can load and compute with.</summary>
    public static bool IsSupported(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1
            or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K
            or GgmlType.Q6_K or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.MXFP4 => true,
        _ => false,
    };

    /// <summary>True when <paramref name="value"/> names a ggml type at all (supported or not).</summary>
    public static bool IsKnown(uint value) =>
        (value <= (uint)GgmlType.BF16 && value is not 4 and not 5) || value == (uint)GgmlType.MXFP4;

    /// <summary>Elements per block; 1 for plain float types; 0 for unknown types.</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64 or GgmlType.I8 or GgmlType.I16
            or GgmlType.I32 or GgmlType.I64 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1
            or GgmlType.IQ4_NL or GgmlType.MXFP4 => QK,
        _ when IsKnown((uint)type) => QK_K,
        _ => 0,
    };

    /// <summary>Bytes per block; 0 for unknown types.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 => 2,
        GgmlType.BF16 => 2,
        GgmlType.F64 => 8,
        GgmlType.I8 => 1,
        GgmlType.I16 => 2,
        GgmlType.I32 => 4,
        GgmlType.I64 => 8,
        GgmlType.Q4_0 => 18,      // f16 d + 16 bytes of nibbles
        GgmlType.Q4_1 => 20,      // f16 d, f16 m + 16 bytes
        GgmlType.Q5_0 => 22,      // f16 d + 4 bytes qh + 16 bytes
        GgmlType.Q5_1 => 24,      // f16 d, f16 m + 4 bytes qh + 16 bytes
        GgmlType.Q8_0 => 34,      // f16 d + 32 int8
        GgmlType.Q8_1 => 36,      // f16 d, f16 s + 32 int8
        GgmlType.Q2_K => 84,      // u8 scales[16] (4-bit scale | 4-bit min), u8 qs[64] (2 bits), f16 d, f16 dmin
        GgmlType.Q3_K => 110,     // u8 hmask[32], u8 qs[64] (low 2 bits), u8 scales[12] (16 × 6 bits), f16 d
        GgmlType.Q4_K => 144,     // f16 d, f16 dmin, 12 bytes scales, 128 bytes nibbles
        GgmlType.Q5_K => 176,     // f16 d, f16 dmin, 12 bytes scales, 32 bytes qh, 128 bytes nibbles
        GgmlType.Q6_K => 210,     // 128 bytes ql, 64 bytes qh, 16 int8 scales, f16 d
        GgmlType.Q8_K => 292,
        GgmlType.IQ4_NL => 18,    // f16 d + 16 bytes of nibbles indexing kvalues_iq4nl
        GgmlType.MXFP4 => 17,     // u8 e (E8M0 shared exponent) + 16 bytes of nibbles indexing kvalues_mxfp4 (E2M1 × 2)
        GgmlType.IQ4_XS => 136,   // f16 d, u16 scales_h, u8 scales_l[4] (8 × 6 bits), 128 bytes of nibbles
        GgmlType.IQ2_XXS => 66,
        GgmlType.IQ2_XS => 74,
        GgmlType.IQ2_S => 82,
        GgmlType.IQ3_XXS => 98,
        GgmlType.IQ3_S => 110,
        GgmlType.IQ1_S => 50,
        GgmlType.IQ1_M => 56,
        _ => 0,
    };

    /// <summary>
    /// Bytes of one row of <paramref name="elements"/> elements, or -1 when the row length is not a
    /// whole number of blocks or the type is unknown.
    /// </summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        int bs = BlockSize(type);
        if (bs == 0 || elements < 0 || elements % bs != 0)
        {
            return -1;
        }

        return elements / bs * BlockBytes(type);
    }
}
