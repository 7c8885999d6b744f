using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> Q6_K super-blocks (210 bytes: u8 ql[128], u8 qh[64], i8 scales[16],
    /// f16 d) · activations quantized by <see cref="ActivationQuantizer.ToQ8K"/>. Each 16-element group has its own
    /// signed scale; the weights are 6-bit q − 32, dotted as unsigned q with 32·Σa subtracted per pair (no int16
    /// saturation: |Σ| ≤ 24,194), all in integer over the super-block (see <see cref="Q4_K"/>).
    /// </summary>
    public static float Q6_K(byte* w, Q8Block* a, int superBlocks)
    {
        short[] sums = new short[Math.Max(1, superBlocks * 16)];
        fixed (short* s16 = sums)
        {
            ActivationQuantizer.Sums16(a, superBlocks * 8, s16);
            float y;
            Q6_KTokens(w, a, s16, 0, 1, superBlocks, &y, 1);
            return y;
        }
    }

    /// <summary><see cref="Q6_K"/> for 1–4 tokens at once (activation rows <paramref name="aStride"/> blocks apart, their
    /// per-16 sums 2·aStride apart): each super-block is unpacked once for all of them, and each result is bit-identical
    /// to its single-token one. The −32 offset comes off once per super-block as 32·Σ scale_g·Σq_g (one vpmaddwd).</summary>
    // Fully optimized from the first call: the tier-0 code of a kernel this hot ran for whole benchmark repetitions.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KTokens(byte* w, Q8Block* a, short* sums16, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q6_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        // Up to 4 tokens' sums in registers (locals, not an array, so the JIT keeps them out of memory).
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        var step = Vector256.Create((byte)4);
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        short* m0 = sums16, m1 = sums16 + (2 * aStride), m2 = sums16 + (4 * aStride), m3 = sums16 + (6 * aStride);
        for (int sb = 0; sb < superBlocks; sb++, w += 210)
        {
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            // The 16 signed scales as int16: [0..7 | 8..15], then each half in both 128-bit lanes for vpshufb.
            var sc16 = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192)));
            for (int h = 0; h < 2; h++)
            {
                // 128 elements per half: element 32i + l takes nibble (ql[l or l+32], low or high) and bits 2i..2i+1
                // of qh[l] as its bits 4..5.
                var ql0 = Avx.LoadVector256(w + (64 * h));
                var ql1 = Avx.LoadVector256(w + (64 * h) + 32);
                var qh = Avx.LoadVector256(w + 128 + (32 * h)).AsUInt16();
                var scales = (h == 0 ? Avx2.Permute2x128(sc16, sc16, 0x00) : Avx2.Permute2x128(sc16, sc16, 0x11)).AsByte();
                // Sub-block i's two scales: 2i broadcast over the low lane (elements 0..15), 2i + 1 over the high lane.
                var pick = Vector256.Create(Vector128.Create((ushort)0x0100), Vector128.Create((ushort)0x0302)).AsByte();
                int o = (sb * 8) + (4 * h);
                // Bits 2i..2i+1 of each qh byte moved to 4..5 (16-bit shifts; the mask drops what crossed bytes).
                Q6KSub(ref s0, ref s1, ref s2, ref s3, Avx2.And(ql0, low), Avx2.ShiftLeftLogical(qh, 4), bits45, scales, pick, tokens, a + o, a1 + o, a2 + o, a3 + o);
                pick = Avx2.Add(pick, step);
                Q6KSub(ref s0, ref s1, ref s2, ref s3, Avx2.And(ql1, low), Avx2.ShiftLeftLogical(qh, 2), bits45, scales, pick, tokens, a + o + 1, a1 + o + 1, a2 + o + 1, a3 + o + 1);
                pick = Avx2.Add(pick, step);
                Q6KSub(ref s0, ref s1, ref s2, ref s3, Avx2.And(Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte(), low), qh, bits45, scales, pick, tokens, a + o + 2, a1 + o + 2, a2 + o + 2, a3 + o + 2);
                pick = Avx2.Add(pick, step);
                Q6KSub(ref s0, ref s1, ref s2, ref s3, Avx2.And(Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte(), low), Avx2.ShiftRightLogical(qh, 2), bits45, scales, pick, tokens, a + o + 3, a1 + o + 3, a2 + o + 3, a3 + o + 3);
            }

            int k = sb * 8, k16 = sb * 16;
            acc0 = Q6KClose(acc0, s0, sc16, m0 + k16, d * a[k].D);
            if (tokens > 1)
            {
                acc1 = Q6KClose(acc1, s1, sc16, m1 + k16, d * a1[k].D);
            }

            if (tokens > 2)
            {
                acc2 = Q6KClose(acc2, s2, sc16, m2 + k16, d * a2[k].D);
            }

            if (tokens > 3)
            {
                acc3 = Q6KClose(acc3, s3, sc16, m3 + k16, d * a3[k].D);
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

    /// <summary>One 32-element sub-block (nibbles <paramref name="nib"/>, bits 4..5 in <paramref name="high"/>) for every token.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Q6KSub(ref Vector256<int> s0, ref Vector256<int> s1, ref Vector256<int> s2, ref Vector256<int> s3, Vector256<byte> nib, Vector256<ushort> high,
        Vector256<byte> bits45, Vector256<byte> scales, Vector256<byte> pick, int tokens, Q8Block* a0, Q8Block* a1, Q8Block* a2, Q8Block* a3)
    {
        var e = Avx2.Or(nib, Avx2.And(high.AsByte(), bits45));
        var c = Avx2.Shuffle(scales, pick).AsInt16();
        s0 = Q6KStep(s0, e, c, a0);
        if (tokens > 1)
        {
            s1 = Q6KStep(s1, e, c, a1);
        }

        if (tokens > 2)
        {
            s2 = Q6KStep(s2, e, c, a2);
        }

        if (tokens > 3)
        {
            s3 = Q6KStep(s3, e, c, a3);
        }
    }

    /// <summary>One token's 32 elements: Σ q·a per 16 (q ≤ 63: pair sums fit int16), times the two groups' scales, in int32.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6KStep(Vector256<int> sum, Vector256<byte> e, Vector256<short> scales, Q8Block* a)
    {
        return Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(e, Avx.LoadVector256(a->Q)), scales));
    }

    /// <summary>The super-block's sum less 32·Σ_g scale_g·Σq_g (exact in int32: |·| ≤ 32·2·127·2,032 per lane), times d·D.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q6KClose(Vector256<float> acc, Vector256<int> sum, Vector256<short> scales16, short* sums16, float dD)
    {
        var offset = Avx2.MultiplyAddAdjacent(scales16, Avx.LoadVector256(sums16));
        var total = Avx2.Subtract(sum, Avx2.ShiftLeftLogical(offset, 5));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(total), Vector256.Create(dD), acc);
    }

    /// <summary>Scalar reference for <see cref="Q6_K"/>.</summary>
    public static float Q6_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float sum = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 210, a += 8)
        {
            byte* ql = w;
            byte* qh = w + 128;
            sbyte* sc = (sbyte*)(w + 192);
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            int isum = 0;
            for (int j = 0; j < 8; j++)
            {
                int h = j / 4, i = j % 4;
                for (int l = 0; l < 32; l++)
                {
                    int nib = (ql[(64 * h) + ((i & 1) * 32) + l] >> (i < 2 ? 0 : 4)) & 0xF;
                    int q = nib | (((qh[(32 * h) + l] >> (2 * i)) & 3) << 4);
                    isum += (q - 32) * a[j].Q[l] * sc[(8 * h) + (2 * i) + (l / 16)];
                }
            }

            sum += isum * (d * a->D);
        }

        return sum;
    }
}
