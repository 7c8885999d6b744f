using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    // K-quant rows against 8-bit activations with one scale per 256 (ActivationQuantizer.ToQ8K: ggml's Q8_K, kept
    // as 8 Q8Blocks that share D and carry their own Σq). Within a super-block every product is integer: the
    // sub-block scales multiply int16 pair sums into int32 lanes, summed over all 256 elements; the weight and
    // activation scales are applied once per super-block, and the sub-block minimums (Q4_K, Q5_K) fold in through
    // Σ m_j·Σq_j. Per 32 elements that is vpmaddubsw + vpmaddwd + vpaddd, as in ggml.

    /// <summary>Σ over <paramref name="superBlocks"/> Q4_K super-blocks (144 bytes: f16 d, f16 dmin, u8 scales[12],
    /// u8 qs[128]) · activations quantized by <see cref="ActivationQuantizer.ToQ8K(float*, Q8Block*, int)"/> (8 blocks per
    /// super-block). Derives the per-16 sums itself; the engine calls <see cref="Q4_KTokens"/> with the quantizer's.</summary>
    public static float Q4_K(byte* w, Q8Block* a, int superBlocks)
    {
        short[] sums = new short[Math.Max(1, superBlocks * 16)];
        fixed (short* s16 = sums)
        {
            ActivationQuantizer.Sums16(a, superBlocks * 8, s16);
            float y;
            Q4_KTokens(w, a, s16, 0, 1, superBlocks, &y, 1);
            return y;
        }
    }

    /// <summary>
    /// <see cref="Q4_K"/> for 1–4 tokens at once (activation rows <paramref name="aStride"/> blocks apart, their per-16
    /// sums <paramref name="sums16"/> 2·aStride apart), each super-block unpacked once for all of them; each token's
    /// arithmetic is the same, so y[t·<paramref name="yStride"/>] is bit-identical to its single-token result (batch invariance).
    /// </summary>
    // Fully optimized from the first call: the tier-0 code of a kernel this hot ran for whole benchmark repetitions.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Q4_KTokens(byte* w, Q8Block* a, short* sums16, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q4_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        // Up to 4 tokens' sums in registers (locals, not an array, so the JIT keeps them out of memory).
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector256.Create((byte)0x0F);
        var step = Vector256.Create((byte)4);
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        short* m0 = sums16, m1 = sums16 + (2 * aStride), m2 = sums16 + (4 * aStride), m3 = sums16 + (6 * aStride);
        for (int sb = 0; sb < superBlocks; sb++, w += 144)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            var scales = Q4KScales(w + 4, out var mins);

            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            byte* qs = w + 16;
            int o = sb * 8;
            // vpshufb masks that broadcast the int16 scale of sub-block 2g (c0) and 2g + 1 (c1) to every lane.
            var pick0 = Vector256.Create((ushort)0x0100).AsByte();
            var pick1 = Vector256.Create((ushort)0x0302).AsByte();
            for (int g = 0; g < 4; g++, o += 2)
            {
                // 32 bytes: low nibbles are sub-block 2g, high nibbles sub-block 2g + 1, both in element order.
                var q = Avx.LoadVector256(qs + (32 * g));
                var lo = Avx2.And(q, low);
                var hi = Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low);
                var c0 = Avx2.Shuffle(scales, pick0).AsInt16();
                var c1 = Avx2.Shuffle(scales, pick1).AsInt16();
                pick0 = Avx2.Add(pick0, step);
                pick1 = Avx2.Add(pick1, step);
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

    /// <summary>One token's sub-blocks 2g and 2g+1: pair sums ≤ 2·15·127 fit int16, times a 6-bit scale they fit int32.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KStep(Vector256<int> sum, Vector256<byte> lo, Vector256<byte> hi, Vector256<short> c0, Vector256<short> c1, Q8Block* a)
    {
        var p0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(a->Q)), c0);
        var p1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(a[1].Q)), c1);
        return Avx2.Add(sum, Avx2.Add(p0, p1));
    }

    /// <summary>
    /// The 12 packed bytes of 6-bit scales and minimums (<see cref="Dequantize.ScaleMinK4"/>) unpacked with four 32-bit
    /// operations, as ggml does: the 8 scales as int16 in both 128-bit halves (for vpshufb broadcasts), and the 8
    /// minimums as int16 pairs [m0, m0, m1, m1, …, m7, m7] that line up with the per-16 activation sums.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Q4KScales(byte* packed, out Vector256<short> mins)
    {
        uint u0 = *(uint*)packed, u1 = *(uint*)(packed + 4), u2 = *(uint*)(packed + 8);
        uint sc03 = u0 & 0x3f3f3f3f;
        uint sc47 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
        uint mn03 = u1 & 0x3f3f3f3f;
        uint mn47 = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
        var m8 = Vector128.CreateScalar(mn03 | ((ulong)mn47 << 32)).AsByte();
        mins = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(m8, m8));
        var s8 = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc03 | ((ulong)sc47 << 32)).AsByte());
        return Vector256.Create(s8, s8).AsByte();
    }

    /// <summary>
    /// A super-block's scales, once (Q4_K, Q5_K): the integer sum times d·D, less dmin·D times Σ m_j·Σq_j, the latter
    /// from the per-16 sums in one vpmaddwd (lane j = m_j·(Σ first 16 + Σ last 16 of sub-block j), exact in int32).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> KClose(Vector256<float> acc, Vector256<int> sum, Vector256<short> mins, short* sums16, float dD, float dminD)
    {
        var m = Avx2.MultiplyAddAdjacent(mins, Avx.LoadVector256(sums16));
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Vector256.Create(dD), acc);
        return Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(m), Vector256.Create(dminD), acc);
    }

    /// <summary>Scalar reference for <see cref="Q4_K"/>: the same integer sums and per-super-block scale products.</summary>
    public static float Q4_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float sum = 0, mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 144, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)w);
            float dmin = Fp16.ToFloat(*(ushort*)(w + 2));
            byte* qs = w + 16;
            int isum = 0, m = 0;
            for (int j = 0; j < 8; j++)
            {
                Dequantize.ScaleMinK4(j, w + 4, out int sc, out int mj);
                byte* q = qs + (32 * (j / 2));
                int shift = (j & 1) * 4;
                int s = 0;
                for (int l = 0; l < 32; l++)
                {
                    s += ((q[l] >> shift) & 0xF) * a[j].Q[l];
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
