using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Scalar dequantization of every supported ggml type: the reference the vector kernels are tested against,
/// and the path for rarely used tensors (embedding rows, norms). Block layouts follow ggml-common.h.
/// </summary>
public static unsafe partial class Dequantize
{
    /// <summary>Decodes <paramref name="dst"/>.Length elements of <paramref name="type"/> from <paramref name="src"/>.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        long need = GgmlTypeInfo.RowBytes(type, dst.Length);
        if (!GgmlTypeInfo.IsSupported(type))
        {
            throw new NotSupportedException($"tensor type {type} is not supported");
        }

        if (need < 0)
        {
            throw new ArgumentException($"{dst.Length} elements is not a whole number of {type} blocks", nameof(dst));
        }

        if (src.Length < need)
        {
            throw new ArgumentException($"{type} row of {dst.Length} elements needs {need} bytes, got {src.Length}", nameof(src));
        }

        fixed (byte* s = src)
        fixed (float* d = dst)
        {
            Row(type, s, d, dst.Length);
        }
    }

    /// <summary>Unchecked form: <paramref name="n"/> must be a whole number of blocks. Vectorized for the types
    /// prompt processing dequantizes most (F16, BF16, Q8_0, Q4_0) and for Q2_K, Q3_K, IQ4_NL, IQ4_XS and MXFP4 (AVX2, the
    /// same bits as the reference); the others take the scalar path.</summary>
    public static void Row(GgmlType type, byte* src, float* dst, int n)
    {
        Debug.Assert(n % GgmlTypeInfo.BlockSize(type) == 0);
        if (Avx2.IsSupported)
        {
            switch (type)
            {
                case GgmlType.Q2_K:
                    for (int b = 0; b < n / 256; b++)
                    {
                        Q2KBlockAvx2(src + (b * 84), dst + (b * 256));
                    }

                    return;
                case GgmlType.Q3_K:
                    for (int b = 0; b < n / 256; b++)
                    {
                        Q3KBlockAvx2(src + (b * 110), dst + (b * 256));
                    }

                    return;
                case GgmlType.IQ4_NL:
                    for (int b = 0; b < n / 32; b++)
                    {
                        NibbleLevelsAvx2(src + (b * 18) + 2, Fp16.ToFloat(*(ushort*)(src + (b * 18))), VecDot.Iq4NlTable().GetLower(), dst + (b * 32));
                    }

                    return;
                case GgmlType.MXFP4:
                    for (int b = 0; b < n / 32; b++)
                    {
                        NibbleLevelsAvx2(src + (b * 17) + 1, E8M0Half(src[b * 17]), VecDot.Mxfp4Table().GetLower(), dst + (b * 32));
                    }

                    return;
                case GgmlType.IQ4_XS:
                    for (int b = 0; b < n / 256; b++)
                    {
                        IQ4XSBlockAvx2(src + (b * 136), dst + (b * 256));
                    }

                    return;
            }
        }

        if (Avx512F.IsSupported && Avx512BW.IsSupported)
        {
            switch (type)
            {
                case GgmlType.F16:
                    F16Avx512((short*)src, dst, n);
                    return;
                case GgmlType.BF16:
                    BF16Avx512((ushort*)src, dst, n);
                    return;
                case GgmlType.Q8_0:
                    Q8_0Avx512(src, dst, n);
                    return;
                case GgmlType.Q4_0:
                    Q4_0Avx512(src, dst, n);
                    return;
            }
        }

        if (Avx2.IsSupported)
        {
            // The float types prompt processing dequantizes four rows at a time (MatMul.FloatRange): the scalar
            // reference was 5 % of an AVX2 F16 prefill.
            switch (type)
            {
                case GgmlType.F16:
                    F16Avx2((short*)src, dst, n);
                    return;
                case GgmlType.BF16:
                    BF16Avx2((ushort*)src, dst, n);
                    return;
            }
        }

        RowReference(type, src, dst, n);
    }

    private static void F16Avx2(short* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            VecDot.HalfToSingle(Sse2.LoadVector128(src + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = Fp16.ToFloat((ushort)src[i]);
        }
    }

    private static void BF16Avx2(ushort* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(src + i)), 16).AsSingle().Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = Fp16.BF16ToFloat(src[i]);
        }
    }

    private static void F16Avx512(short* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            VecDot.HalfToSingle(Avx.LoadVector256(src + i)).Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = Fp16.ToFloat((ushort)src[i]);
        }
    }

    private static void BF16Avx512(ushort* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Avx.LoadVector256(src + i)), 16).AsSingle().Store(dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = Fp16.BF16ToFloat(src[i]);
        }
    }

    private static void Q8_0Avx512(byte* src, float* dst, int n)
    {
        for (int b = 0; b < n / 32; b++, src += 34, dst += 32)
        {
            var d = Vector512.Create(Fp16.ToFloat(*(ushort*)src));
            var q0 = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128((sbyte*)(src + 2)));
            var q1 = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128((sbyte*)(src + 18)));
            Avx512F.Multiply(Avx512F.ConvertToVector512Single(q0), d).Store(dst);
            Avx512F.Multiply(Avx512F.ConvertToVector512Single(q1), d).Store(dst + 16);
        }
    }

    private static void Q4_0Avx512(byte* src, float* dst, int n)
    {
        var eight = Vector512.Create(8);
        var low = Vector512.Create(0x0F);
        for (int b = 0; b < n / 32; b++, src += 18, dst += 32)
        {
            var d = Vector512.Create(Fp16.ToFloat(*(ushort*)src));
            var bytes = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(src + 2));
            var lo = Avx512F.Subtract(Avx512F.And(bytes, low), eight);
            var hi = Avx512F.Subtract(Avx512F.ShiftRightLogical(bytes, 4), eight);
            Avx512F.Multiply(Avx512F.ConvertToVector512Single(lo), d).Store(dst);
            Avx512F.Multiply(Avx512F.ConvertToVector512Single(hi), d).Store(dst + 16);
        }
    }

    /// <summary>The scalar reference for every type (the vector paths are tested against it).</summary>
    public static void RowReference(GgmlType type, byte* src, float* dst, int n)
    {
        switch (type)
        {
            case GgmlType.F32:
                new ReadOnlySpan<float>(src, n).CopyTo(new Span<float>(dst, n));
                break;
            case GgmlType.F16:
                for (int i = 0; i < n; i++)
                {
                    dst[i] = Fp16.ToFloat(((ushort*)src)[i]);
                }

                break;
            case GgmlType.BF16:
                for (int i = 0; i < n; i++)
                {
                    dst[i] = Fp16.BF16ToFloat(((ushort*)src)[i]);
                }

                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < n / 32; b++, src += 34, dst += 32)
                {
                    float d = Fp16.ToFloat(*(ushort*)src);
                    sbyte* q = (sbyte*)(src + 2);
                    for (int j = 0; j < 32; j++)
                    {
                        dst[j] = q[j] * d;
                    }
                }

                break;
            case GgmlType.Q4_0:
                for (int b = 0; b < n / 32; b++, src += 18, dst += 32)
                {
                    float d = Fp16.ToFloat(*(ushort*)src);
                    byte* q = src + 2;
                    for (int j = 0; j < 16; j++)
                    {
                        dst[j] = ((q[j] & 0x0F) - 8) * d;
                        dst[j + 16] = ((q[j] >> 4) - 8) * d;
                    }
                }

                break;
            case GgmlType.Q4_1:
                for (int b = 0; b < n / 32; b++, src += 20, dst += 32)
                {
                    float d = Fp16.ToFloat(*(ushort*)src);
                    float m = Fp16.ToFloat(*(ushort*)(src + 2));
                    byte* q = src + 4;
                    for (int j = 0; j < 16; j++)
                    {
                        dst[j] = (q[j] & 0x0F) * d + m;
                        dst[j + 16] = (q[j] >> 4) * d + m;
                    }
                }

                break;
            case GgmlType.Q5_0:
                for (int b = 0; b < n / 32; b++, src += 22, dst += 32)
                {
                    float d = Fp16.ToFloat(*(ushort*)src);
                    uint qh = Unsafe.ReadUnaligned<uint>(src + 2);
                    byte* q = src + 6;
                    for (int j = 0; j < 16; j++)
                    {
                        int xh0 = (int)(((qh >> j) << 4) & 0x10);
                        int xh1 = (int)((qh >> (j + 12)) & 0x10);
                        dst[j] = (((q[j] & 0x0F) | xh0) - 16) * d;
                        dst[j + 16] = (((q[j] >> 4) | xh1) - 16) * d;
                    }
                }

                break;
            case GgmlType.Q5_1:
                for (int b = 0; b < n / 32; b++, src += 24, dst += 32)
                {
                    float d = Fp16.ToFloat(*(ushort*)src);
                    float m = Fp16.ToFloat(*(ushort*)(src + 2));
                    uint qh = Unsafe.ReadUnaligned<uint>(src + 4);
                    byte* q = src + 8;
                    for (int j = 0; j < 16; j++)
                    {
                        int xh0 = (int)(((qh >> j) << 4) & 0x10);
                        int xh1 = (int)((qh >> (j + 12)) & 0x10);
                        dst[j] = ((q[j] & 0x0F) | xh0) * d + m;
                        dst[j + 16] = ((q[j] >> 4) | xh1) * d + m;
                    }
                }

                break;
            case GgmlType.Q4_K:
                for (int b = 0; b < n / 256; b++, src += 144, dst += 256)
                {
                    Q4KBlock(src, dst);
                }

                break;
            case GgmlType.Q5_K:
                for (int b = 0; b < n / 256; b++, src += 176, dst += 256)
                {
                    Q5KBlock(src, dst);
                }

                break;
            case GgmlType.Q6_K:
                for (int b = 0; b < n / 256; b++, src += 210, dst += 256)
                {
                    Q6KBlock(src, dst);
                }

                break;
            case GgmlType.Q2_K:
                for (int b = 0; b < n / 256; b++, src += 84, dst += 256)
                {
                    Q2KBlock(src, dst);
                }

                break;
            case GgmlType.Q3_K:
                for (int b = 0; b < n / 256; b++, src += 110, dst += 256)
                {
                    Q3KBlock(src, dst);
                }

                break;
            case GgmlType.IQ4_NL:
                for (int b = 0; b < n / 32; b++, src += 18, dst += 32)
                {
                    IQ4NLBlock(src, dst);
                }

                break;
            case GgmlType.IQ4_XS:
                for (int b = 0; b < n / 256; b++, src += 136, dst += 256)
                {
                    IQ4XSBlock(src, dst);
                }

                break;
            case GgmlType.MXFP4:
                for (int b = 0; b < n / 32; b++, src += 17, dst += 32)
                {
                    NibbleLevels(src + 1, E8M0Half(*src), KValuesMxfp4, dst);
                }

                break;
            default:
                throw new NotSupportedException($"tensor type {type} is not supported");
        }
    }

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> (0..7) of a Q4_K/Q5_K super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleMinK4(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    // block_q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128]
    internal static void Q4KBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)block);
        float dmin = Fp16.ToFloat(*(ushort*)(block + 2));
        byte* scales = block + 4;
        byte* q = block + 16;
        int idx = 0;
        for (int j = 0; j < 256; j += 64)
        {
            ScaleMinK4(idx, scales, out int sc, out int m);
            float d1 = d * sc, m1 = dmin * m;
            ScaleMinK4(idx + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++)
            {
                *y++ = d1 * (q[l] & 0xF) - m1;
            }

            for (int l = 0; l < 32; l++)
            {
                *y++ = d2 * (q[l] >> 4) - m2;
            }

            q += 32;
            idx += 2;
        }
    }

    // block_q5_K: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]
    internal static void Q5KBlock(byte* block, float* y)
    {
        float d = Fp16.ToFloat(*(ushort*)block);
        float dmin = Fp16.ToFloat(*(ushort*)(block + 2));
        byte* scales = block + 4;
        byte* qh = block + 16;
        byte* ql = block + 48;
        int idx = 0;
        int u1 = 1, u2 = 2;
        for (int j = 0; j < 256; j += 64)
        {
            ScaleMinK4(idx, scales, out int sc, out int m);
            float d1 = d * sc, m1 = dmin * m;
            ScaleMinK4(idx + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++)
            {
                *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
            }

            for (int l = 0; l < 32; l++)
            {
                *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            }

            ql += 32;
            idx += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // block_q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d
    internal static void Q6KBlock(byte* block, float* y)
    {
        byte* ql = block;
        byte* qh = block + 128;
        sbyte* sc = (sbyte*)(block + 192);
        float d = Fp16.ToFloat(*(ushort*)(block + 208));
        for (int n = 0; n < 256; n += 128)
        {
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = (sbyte)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (sbyte)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (sbyte)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (sbyte)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[s] * q1;
                y[l + 32] = d * sc[s + 2] * q2;
                y[l + 64] = d * sc[s + 4] * q3;
                y[l + 96] = d * sc[s + 6] * q4;
            }

            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
