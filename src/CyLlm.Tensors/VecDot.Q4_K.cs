using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    // K-quant rows against 8-bit activations (the way ggml dots them against Q8_K): each 32-element sub-block's
    // integer dot Σ q·a is exact; the super-block and sub-block scales and the activation block's scale are applied
    // once per 32 elements in float, and the sub-block minimums (Q4_K, Q5_K) fold through the activation block's
    // precomputed Σa. Activations come as Q8Blocks of 32: 8 per 256-element super-block.

    /// <summary>Σ over <paramref name="superBlocks"/> Q4_K super-blocks (144 bytes: f16 d, f16 dmin, u8 scales[12],
    /// u8 qs[128]) · 8 Q8 activation blocks each.</summary>
    public static float Q4_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            return Q4_KReference(w, a, superBlocks);
        }

        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        float mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 144, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            byte* scales = w + 4;
            byte* qs = w + 16;
            for (int g = 0; g < 4; g++)
            {
                // 32 bytes: low nibbles are sub-block 2g, high nibbles sub-block 2g + 1, both in element order.
                var q = Avx.LoadVector256(qs + (32 * g));
                var lo = Avx2.And(q, low);
                var hi = Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low);
                Q8Block* a0 = a + (2 * g);
                Q8Block* a1 = a0 + 1;
                Dequantize.ScaleMinK4(2 * g, scales, out int sc0, out int m0);
                Dequantize.ScaleMinK4((2 * g) + 1, scales, out int sc1, out int m1);
                var p0 = DotU8S8(Vector256<int>.Zero, lo, Avx.LoadVector256(a0->Q));
                var p1 = DotU8S8(Vector256<int>.Zero, hi, Avx.LoadVector256(a1->Q));
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(d * sc0 * a0->D), acc0);
                acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(d * sc1 * a1->D), acc1);
                mins += (dmin * m0 * (a0->D * a0->Sum)) + (dmin * m1 * (a1->D * a1->Sum));
            }
        }

        return HSum(acc0 + acc1) - mins;
    }

    /// <summary>
    /// <see cref="Q4_K"/> for 1–4 tokens at once (activation rows <paramref name="aStride"/> blocks apart): each super-block
    /// is unpacked once for all of them. Every token's arithmetic is <see cref="Q4_K"/>'s, operation for operation, so
    /// y[t·<paramref name="yStride"/>] is bit-identical to its single-token result (batch invariance).
    /// </summary>
    public static void Q4_KTokens(byte* w, Q8Block* a, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q4_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        var acc = stackalloc Vector256<float>[8];   // [token, 2]
        float* mins = stackalloc float[4];
        for (int i = 0; i < 8; i++)
        {
            acc[i] = Vector256<float>.Zero;
        }

        for (int t = 0; t < 4; t++)
        {
            mins[t] = 0;
        }

        var low = Vector256.Create((byte)0x0F);
        int* sc = stackalloc int[8];
        int* mn = stackalloc int[8];
        for (int sb = 0; sb < superBlocks; sb++, w += 144)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            for (int j = 0; j < 8; j++)
            {
                Dequantize.ScaleMinK4(j, w + 4, out sc[j], out mn[j]);
            }

            byte* qs = w + 16;
            for (int g = 0; g < 4; g++)
            {
                var q = Avx.LoadVector256(qs + (32 * g));
                var lo = Avx2.And(q, low);
                var hi = Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low);
                int sc0 = sc[2 * g], sc1 = sc[(2 * g) + 1], m0 = mn[2 * g], m1 = mn[(2 * g) + 1];
                for (int t = 0; t < tokens; t++)
                {
                    Q8Block* a0 = a + (t * aStride) + (sb * 8) + (2 * g);
                    Q8Block* a1 = a0 + 1;
                    var p0 = DotU8S8(Vector256<int>.Zero, lo, Avx.LoadVector256(a0->Q));
                    var p1 = DotU8S8(Vector256<int>.Zero, hi, Avx.LoadVector256(a1->Q));
                    acc[2 * t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(d * sc0 * a0->D), acc[2 * t]);
                    acc[(2 * t) + 1] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(d * sc1 * a1->D), acc[(2 * t) + 1]);
                    mins[t] += (dmin * m0 * (a0->D * a0->Sum)) + (dmin * m1 * (a1->D * a1->Sum));
                }
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            y[t * yStride] = HSum(acc[2 * t] + acc[(2 * t) + 1]) - mins[t];
        }
    }

    /// <summary>Scalar reference for <see cref="Q4_K"/>: the same integer sub-block dots and scale products.</summary>
    public static float Q4_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float sum = 0, mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 144, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            byte* qs = w + 16;
            for (int j = 0; j < 8; j++)
            {
                Dequantize.ScaleMinK4(j, w + 4, out int sc, out int m);
                byte* q = qs + (32 * (j / 2));
                int shift = (j & 1) * 4;
                int s = 0;
                for (int l = 0; l < 32; l++)
                {
                    s += ((q[l] >> shift) & 0xF) * a[j].Q[l];
                }

                sum += s * (d * sc * a[j].D);
                mins += dmin * m * (a[j].D * a[j].Sum);
            }
        }

        return sum - mins;
    }
}
