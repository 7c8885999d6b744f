using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Σ over <paramref name="superBlocks"/> Q5_K super-blocks (176 bytes: f16 d, f16 dmin, u8 scales[12],
    /// u8 qh[32], u8 qs[128]) · activations quantized by <see cref="ActivationQuantizer.ToQ8K"/> (see <see cref="Q4_K"/>).</summary>
    public static float Q5_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return Q5_KReference(w, a, superBlocks);
        }

        var acc = Vector256<float>.Zero;
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
            var sumi = Vector256<int>.Zero;
            int m = 0;
            for (int g = 0; g < 4; g++)
            {
                var q = Avx.LoadVector256(qs + (32 * g));
                var b0 = Vector256.Create((byte)(1 << (2 * g)));
                var b1 = Vector256.Create((byte)(2 << (2 * g)));
                var lo = Avx2.Or(Avx2.And(q, low), Avx2.And(Avx2.CompareEqual(Avx2.And(qh, b0), b0), sixteen));
                var hi = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low), Avx2.And(Avx2.CompareEqual(Avx2.And(qh, b1), b1), sixteen));
                Dequantize.ScaleMinK4(2 * g, scales, out int sc0, out int m0);
                Dequantize.ScaleMinK4((2 * g) + 1, scales, out int sc1, out int m1);
                // Pair sums ≤ 2·31·127 fit int16.
                var p0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(a[2 * g].Q)), Vector256.Create((short)sc0));
                var p1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(a[(2 * g) + 1].Q)), Vector256.Create((short)sc1));
                sumi = Avx2.Add(sumi, Avx2.Add(p0, p1));
                m += (m0 * a[2 * g].Sum) + (m1 * a[(2 * g) + 1].Sum);
            }

            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(d * a->D), acc);
            mins += dmin * a->D * m;
        }

        return HSum(acc) - mins;
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
            int isum = 0, m = 0;
            for (int j = 0; j < 8; j++)
            {
                Dequantize.ScaleMinK4(j, w + 4, out int sc, out int mj);
                byte* q = qs + (32 * (j / 2));
                int shift = (j & 1) * 4;
                int s = 0;
                for (int l = 0; l < 32; l++)
                {
                    int v = ((q[l] >> shift) & 0xF) | (((qh[l] >> j) & 1) << 4);
                    s += v * a[j].Q[l];
                }

                isum += sc * s;
                m += mj * a[j].Sum;
            }

            sum += isum * (d * a->D);
            mins += dmin * a->D * m;
        }

        return sum - mins;
    }
}
