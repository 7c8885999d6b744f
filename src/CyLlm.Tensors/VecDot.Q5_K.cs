using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Σ over <paramref name="superBlocks"/> Q5_K super-blocks (176 bytes: f16 d, f16 dmin, u8 scales[12],
    /// u8 qh[32], u8 qs[128]) · 8 Q8 activation blocks each (see <see cref="Q4_K"/>).</summary>
    public static float Q5_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            return Q5_KReference(w, a, superBlocks);
        }

        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var sixteen = Vector256.Create((byte)0x10);
        float mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 176, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            byte* scales = w + 4;
            // Bit j of qh[l] is the fifth bit of element l of sub-block j.
            var qh = Avx.LoadVector256(w + 16);
            byte* qs = w + 48;
            for (int g = 0; g < 4; g++)
            {
                var q = Avx.LoadVector256(qs + (32 * g));
                var b0 = Vector256.Create((byte)(1 << (2 * g)));
                var b1 = Vector256.Create((byte)(2 << (2 * g)));
                var lo = Avx2.Or(Avx2.And(q, low), Avx2.And(Avx2.CompareEqual(Avx2.And(qh, b0), b0), sixteen));
                var hi = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low), Avx2.And(Avx2.CompareEqual(Avx2.And(qh, b1), b1), sixteen));
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

    /// <summary>Scalar reference for <see cref="Q5_K"/>.</summary>
    public static float Q5_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float sum = 0, mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 176, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            byte* qh = w + 16;
            byte* qs = w + 48;
            for (int j = 0; j < 8; j++)
            {
                Dequantize.ScaleMinK4(j, w + 4, out int sc, out int m);
                byte* q = qs + (32 * (j / 2));
                int shift = (j & 1) * 4;
                int s = 0;
                for (int l = 0; l < 32; l++)
                {
                    int v = ((q[l] >> shift) & 0xF) | (((qh[l] >> j) & 1) << 4);
                    s += v * a[j].Q[l];
                }

                sum += s * (d * sc * a[j].D);
                mins += dmin * m * (a[j].D * a[j].Sum);
            }
        }

        return sum - mins;
    }
}
