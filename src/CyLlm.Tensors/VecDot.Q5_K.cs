using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Σ over <paramref name="superBlocks"/> Q5_K super-blocks (176 bytes: f16 d, f16 dmin, u8 scales[12],
    /// u8 qh[32], u8 qs[128]) · activations quantized by <see cref="ActivationQuantizer.ToQ8K(float*, Q8Block*, int)"/>
    /// (see <see cref="Q4_K"/>).</summary>
    public static float Q5_K(byte* w, Q8Block* a, int superBlocks)
    {
        short[] sums = new short[Math.Max(1, superBlocks * 16)];
        fixed (short* s16 = sums)
        {
            ActivationQuantizer.Sums16(a, superBlocks * 8, s16);
            float y;
            Q5_KTokens(w, a, s16, 0, 1, superBlocks, &y, 1);
            return y;
        }
    }

    /// <summary><see cref="Q5_K"/> for 1–4 tokens at once, laid out as <see cref="Q4_KTokens"/>; each result is
    /// bit-identical to its single-token one. Written out rather than shared with Q4_K through a generic unpack
    /// (as the 32-element types are, VecDot.BlockTokens): that version measured 14 % slower per token in decode.</summary>
    // Fully optimized from the first call: the tier-0 code of a kernel this hot ran for whole benchmark repetitions.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Q5_KTokens(byte* w, Q8Block* a, short* sums16, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q5_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)0x01);
        var two = Vector256.Create((byte)0x02);
        var step = Vector256.Create((byte)4);
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        short* m0 = sums16, m1 = sums16 + (2 * aStride), m2 = sums16 + (4 * aStride), m3 = sums16 + (6 * aStride);
        for (int sb = 0; sb < superBlocks; sb++, w += 176)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            var scales = Q4KScales(w + 4, out var mins);
            // Bit j of qh[l] is the fifth bit of element l of sub-block j.
            var qh = Avx.LoadVector256(w + 16).AsUInt16();
            byte* qs = w + 48;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            int o = sb * 8;
            var pick0 = Vector256.Create((ushort)0x0100).AsByte();
            var pick1 = Vector256.Create((ushort)0x0302).AsByte();
            for (int g = 0; g < 4; g++, o += 2)
            {
                var q = Avx.LoadVector256(qs + (32 * g));
                // Bits 2g and 2g + 1 of qh (now bits 0 and 1: qh shifts right by 2 per g) moved to bit 4; the masks keep
                // the 16-bit shifts from carrying bits across bytes.
                var h0 = Avx2.ShiftLeftLogical(Avx2.And(qh.AsByte(), one).AsUInt16(), 4).AsByte();
                var h1 = Avx2.ShiftLeftLogical(Avx2.And(qh.AsByte(), two).AsUInt16(), 3).AsByte();
                qh = Avx2.ShiftRightLogical(qh, 2);
                var lo = Avx2.Or(Avx2.And(q, low), h0);
                var hi = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low), h1);
                var c0 = Avx2.Shuffle(scales, pick0).AsInt16();
                var c1 = Avx2.Shuffle(scales, pick1).AsInt16();
                pick0 = Avx2.Add(pick0, step);
                pick1 = Avx2.Add(pick1, step);
                // Pair sums ≤ 2·31·127 fit int16.
                s0 = Q4KStep(s0, lo, hi, c0, c1, a + o);
                if (tokens > 1)
                {
                    s1 = Q4KStep(s1, lo, hi, c0, c1, a1 + o);
                }

                if (tokens > 2)
                {
                    s2 = Q4KStep(s2, lo, hi, c0, c1, a2 + o);
                }

                if (tokens > 3)
                {
                    s3 = Q4KStep(s3, lo, hi, c0, c1, a3 + o);
                }
            }

            int k = sb * 8, k16 = sb * 16;
            acc0 = KClose(acc0, s0, mins, m0 + k16, d * a[k].D, dmin * a[k].D);
            if (tokens > 1)
            {
                acc1 = KClose(acc1, s1, mins, m1 + k16, d * a1[k].D, dmin * a1[k].D);
            }

            if (tokens > 2)
            {
                acc2 = KClose(acc2, s2, mins, m2 + k16, d * a2[k].D, dmin * a2[k].D);
            }

            if (tokens > 3)
            {
                acc3 = KClose(acc3, s3, mins, m3 + k16, d * a3[k].D, dmin * a3[k].D);
            }
        }

        y[0] = HSum(acc0);
        if (tokens > 1)
        {
            y[yStride] = HSum(acc1);
        }

        if (tokens > 2)
        {
            y[2 * yStride] = HSum(acc2);
        }

        if (tokens > 3)
        {
            y[3 * yStride] = HSum(acc3);
        }
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
