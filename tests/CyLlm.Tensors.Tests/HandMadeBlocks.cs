namespace CyLlm.Tensors.Tests;

/// <summary>
/// One block of each of Q2_K, Q3_K, IQ4_NL, IQ4_XS and MXFP4 built byte by byte from ggml-common.h, with the values of a few
/// elements worked out by hand in the comments (shared by the dequantization and the dot-product tests).
/// </summary>
internal static class HandMadeBlocks
{
    /// <summary>(element, value) pairs each block is checked at.</summary>
    public static (int Element, float Value)[] Expected(GgmlType type) => type switch
    {
        GgmlType.Q2_K =>
        [
            (0, 1.0f),      // scale byte 0 = 0x21: 0.5·1·3 − 0.25·2
            (1, -0.5f),     // q 0: −0.25·2
            (16, 3.0f),     // scale byte 1 = 0x03, q 2: 0.5·3·2
            (32, 0.75f),    // scale byte 2 = 0x12, q 1: 0.5·2·1 − 0.25·1
            (64, 5.0f),     // scale byte 4 = 0x05, q 2: 0.5·5·2
            (96, -2.25f),   // scale byte 6 = 0xF1, q 3: 0.5·1·3 − 0.25·15
            (128, 1.0f),    // scale byte 8 = 0x44, q 1: 0.5·4·1 − 0.25·4
            (255, 22.25f),  // scale byte 15 = 0x1F, q 3: 0.5·15·3 − 0.25·1
        ],
        GgmlType.Q3_K =>
        [
            (0, 0.75f),     // scale 33 − 32 = 1, q 3 with its high bit: 0.25·1·(3 + 4 − 4)
            (16, 1.5f),     // scale 30 − 32 = −2, q 1 without: 0.25·−2·(1 − 4)
            (17, 2.0f),     // q 0 without: 0.25·−2·−4
            (255, 4.0f),    // scale 40 − 32 = 8, q 2 with its high bit: 0.25·8·2
        ],
        GgmlType.IQ4_NL =>
        [
            (0, -63.5f),    // 0.5·kvalues[0] = 0.5·−127
            (16, 56.5f),    // 0.5·kvalues[15] = 0.5·113
            (1, 0.5f),      // 0.5·kvalues[8] = 0.5·1
            (17, 6.5f),     // 0.5·kvalues[9] = 0.5·13
        ],
        GgmlType.IQ4_XS =>
        [
            (0, 28.25f),    // group 0 scale 33 − 32 = 1: 0.25·1·kvalues[15] = 0.25·113
            (16, -31.75f),  // 0.25·1·kvalues[0]
            (32, 40f),      // group 1 scale 16 − 32 = −16: 0.25·−16·kvalues[7] = 0.25·−16·−10
            (48, 508f),     // 0.25·−16·−127
            (239, -984.25f), // group 7 scale 63 − 32 = 31: 0.25·31·−127
            (255, 193.75f), // 0.25·31·kvalues[10] = 0.25·31·25
        ],
        GgmlType.MXFP4 =>
        [
            (0, 6f),        // e 127: scale 2^−1; kvalues_mxfp4[7] = 12
            (16, -6f),      // kvalues_mxfp4[15] = −12
            (1, -0.5f),     // kvalues_mxfp4[9] = −1
            (17, 0f),       // kvalues_mxfp4[0] = 0
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static byte[] Build(GgmlType type)
    {
        switch (type)
        {
            case GgmlType.Q2_K:
                {
                    // scales[16] @0, qs[64] @16, f16 d @80, f16 dmin @82. Element l of group g = 4h + j: bits 2j of qs[32h + l].
                    var b = new byte[84];
                    b[0] = 0x21;            // elements 0–15: scale 1, min 2
                    b[1] = 0x03;            // elements 16–31: scale 3, min 0
                    b[2] = 0x12;            // elements 32–47: scale 2, min 1
                    b[4] = 0x05;            // elements 64–79: scale 5
                    b[6] = 0xF1;            // elements 96–111: scale 1, min 15
                    b[8] = 0x44;            // elements 128–143: scale 4, min 4
                    b[15] = 0x1F;           // elements 240–255: scale 15, min 1
                    b[16 + 0] = 3 | (1 << 2) | (2 << 4) | (3 << 6); // elements 0, 32, 64, 96: q 3, 1, 2, 3
                    b[16 + 16] = 2;         // element 16: q 2
                    b[16 + 32] = 1;         // element 128: q 1
                    b[16 + 63] = 3 << 6;    // element 255 (group 7 = 4·1 + 3, l 31): q 3
                    QuantTestData.WriteHalf(b, 80, 0.5f);
                    QuantTestData.WriteHalf(b, 82, 0.25f);
                    return b;
                }

            case GgmlType.Q3_K:
                {
                    // hmask[32] @0, qs[64] @32, scales[12] @96, f16 d @108. Scale i: low 4 bits in byte i (i < 8) or the high
                    // nibble of byte i − 8; high 2 bits in byte 8 + i mod 4 at bit 2·(i / 4). All other scales are 0 (−32).
                    var b = new byte[110];
                    b[96 + 0] = 0x01;       // scale 0 low 1
                    b[96 + 8] = 0x02;       // scale 0 high 2 → 33
                    b[96 + 1] = 0x0E;       // scale 1 low 14
                    b[96 + 9] = 0x01;       // scale 1 high 1 → 30
                    b[96 + 7] = 0x80;       // scale 15 low 8 (high nibble of byte 7)
                    b[96 + 11] = 0x80;      // scale 15 high 2 (bits 6–7 of byte 8 + 3) → 40
                    b[32 + 0] = 3;          // element 0: low bits 3
                    b[0] = 0x01;            // hmask[0] bit 0: element 0 has its high bit
                    b[32 + 16] = 1;         // element 16: low bits 1, no high bit
                    b[32 + 63] = 2 << 6;    // element 255 (group 7 = 4·1 + 3, l 31): low bits 2
                    b[31] = 0x80;           // hmask[31] bit 7: element 255 has its high bit
                    QuantTestData.WriteHalf(b, 108, 0.25f);
                    return b;
                }

            case GgmlType.IQ4_NL:
                {
                    var b = new byte[18];
                    QuantTestData.WriteHalf(b, 0, 0.5f);
                    b[2] = 0xF0;            // element 0: nibble 0, element 16: nibble 15
                    b[3] = 0x98;            // element 1: nibble 8, element 17: nibble 9
                    return b;
                }

            case GgmlType.IQ4_XS:
                {
                    // f16 d @0, u16 scales_h @2, scales_l[4] @4, qs[128] @8 (16 bytes per group of 32).
                    var b = new byte[136];
                    QuantTestData.WriteHalf(b, 0, 0.25f);
                    ushort sh = 2 | (1 << 2) | (3 << 14);  // group 0 high 2, group 1 high 1, group 7 high 3
                    b[2] = (byte)sh;
                    b[3] = (byte)(sh >> 8);
                    b[4] = 0x01;            // group 0 low 1 → 33; group 1 low 0 → 16
                    b[7] = 0xF0;            // group 7 low 15 → 63
                    b[8] = 0x0F;            // element 0: nibble 15, element 16: nibble 0
                    b[8 + 16] = 0x07;       // element 32: nibble 7, element 48: nibble 0
                    b[8 + 112 + 15] = 0xA0; // element 239: nibble 0, element 255: nibble 10
                    return b;
                }

            case GgmlType.MXFP4:
                {
                    // u8 e @0, qs[16] @1.
                    var b = new byte[17];
                    b[0] = 127;
                    b[1] = 0xF7;        // element 0: nibble 7, element 16: nibble 15
                    b[2] = 0x09;        // element 1: nibble 9, element 17: nibble 0
                    return b;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}
