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
    /// u8 qs[128]) · activations quantized by <see cref="ActivationQuantizer.ToQ8K"/> (8 blocks per super-block).</summary>
    public static float Q4_K(byte* w, Q8Block* a, int superBlocks)
    {
        float y;
        Q4_KTokens(w, a, 0, 1, superBlocks, &y, 1);
        return y;
    }

    /// <summary>
    /// <see cref="Q4_K"/> for 1–4 tokens at once (activation rows <paramref name="aStride"/> blocks apart), each
    /// super-block unpacked once for all of them; each token's arithmetic is the same, so y[t·<paramref name="yStride"/>]
    /// is bit-identical to its single-token result (batch invariance).
    /// </summary>
    public static void Q4_KTokens(byte* w, Q8Block* a, int aStride, int tokens, int superBlocks, float* y, nint yStride)
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

        var acc = stackalloc Vector256<float>[4];
        float* mins = stackalloc float[4];
        var sumi = stackalloc Vector256<int>[4];
        for (int t = 0; t < 4; t++)
        {
            acc[t] = Vector256<float>.Zero;
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

            for (int t = 0; t < tokens; t++)
            {
                sumi[t] = Vector256<int>.Zero;
            }

            byte* qs = w + 16;
            for (int g = 0; g < 4; g++)
            {
                // 32 bytes: low nibbles are sub-block 2g, high nibbles sub-block 2g + 1, both in element order.
                var q = Avx.LoadVector256(qs + (32 * g));
                var lo = Avx2.And(q, low);
                var hi = Avx2.And(Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low);
                var s0 = Vector256.Create((short)sc[2 * g]);
                var s1 = Vector256.Create((short)sc[(2 * g) + 1]);
                for (int t = 0; t < tokens; t++)
                {
                    Q8Block* a0 = a + (t * aStride) + (sb * 8) + (2 * g);
                    // Pair sums ≤ 2·15·127 fit int16; times a 6-bit scale they fit int32 with room for all 256.
                    var p0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Avx.LoadVector256(a0->Q)), s0);
                    var p1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Avx.LoadVector256(a0[1].Q)), s1);
                    sumi[t] = Avx2.Add(sumi[t], Avx2.Add(p0, p1));
                }
            }

            for (int t = 0; t < tokens; t++)
            {
                Q8Block* at = a + (t * aStride) + (sb * 8);
                int m = 0;
                for (int j = 0; j < 8; j++)
                {
                    m += mn[j] * at[j].Sum;
                }

                acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi[t]), Vector256.Create(d * at->D), acc[t]);
                mins[t] += dmin * at->D * m;
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            y[t * yStride] = HSum(acc[t]) - mins[t];
        }
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
