using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

/// <summary>
/// The inner loops of attention over a KV cache, on tiles of up to <see cref="Tile"/> keys whose rows are
/// float vectors of headDim elements at a fixed stride (the caller dequantizes F16/Q8_0 rows into a float tile
/// once and reuses it for every query head that shares the KV head). The score kernel keeps one partial
/// vector per key and reduces all 16 in a transpose tree (about 3 shuffles per key instead of a full
/// horizontal sum per key and query), in the canonical order of <see cref="VecDot.F32"/>: a score is the same bits
/// from the tile, from the per-key dot and on every ISA level.
/// </summary>
public static unsafe class AttentionKernel
{
    /// <summary>Keys per tile.</summary>
    public const int Tile = 16;

    /// <summary>
    /// scores[j] = scale · Σ_d q[d]·k_j[d] for j &lt; <paramref name="m"/> (1..16); row j of k starts at
    /// k + j·<paramref name="kStride"/> floats and holds <paramref name="headDim"/> floats.
    /// </summary>
    public static void Scores(float* q, float* k, nint kStride, int headDim, int m, float scale, float* scores)
    {
        Debug.Assert(m is >= 1 and <= Tile && headDim > 0 && kStride >= headDim);
        if (Avx512F.IsSupported && m == Tile && headDim % 16 == 0)
        {
            Scores16Avx512(q, k, kStride, headDim, scale, scores);
            return;
        }

        for (int j = 0; j < m; j++)
        {
            scores[j] = VecDot.F32(q, k + (j * kStride), headDim) * scale;
        }
    }

    /// <summary>o[d] += Σ_{j&lt;m} p[j]·v_j[d] as a fused multiply-add chain in increasing j (the same bits at every
    /// vector width); row j of v starts at v + j·<paramref name="vStride"/> floats.</summary>
    public static void AccumulateValues(float* p, float* v, nint vStride, int m, int headDim, float* o)
    {
        Debug.Assert(m is >= 1 and <= Tile && headDim > 0 && vStride >= headDim);
        int d = 0;
        if (Avx512F.IsSupported)
        {
            for (; d + 32 <= headDim; d += 32)
            {
                var a0 = Avx512F.LoadVector512(o + d);
                var a1 = Avx512F.LoadVector512(o + d + 16);
                float* row = v + d;
                for (int j = 0; j < m; j++, row += vStride)
                {
                    var pj = Vector512.Create(p[j]);
                    a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row), pj, a0);
                    a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row + 16), pj, a1);
                }

                a0.Store(o + d);
                a1.Store(o + d + 16);
            }

            for (; d + 16 <= headDim; d += 16)
            {
                var a0 = Avx512F.LoadVector512(o + d);
                float* row = v + d;
                for (int j = 0; j < m; j++, row += vStride)
                {
                    a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row), Vector512.Create(p[j]), a0);
                }

                a0.Store(o + d);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; d + 8 <= headDim; d += 8)
            {
                var a0 = Vector256.Load(o + d);
                float* row = v + d;
                for (int j = 0; j < m; j++, row += vStride)
                {
                    // Fused, as the AVX-512 path and the scalar tail: the same bits at every width.
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), Vector256.Create(p[j]), a0);
                }

                a0.Store(o + d);
            }
        }

        for (; d < headDim; d++)
        {
            float acc = o[d];
            for (int j = 0; j < m; j++)
            {
                acc = MathF.FusedMultiplyAdd(v[(j * vStride) + d], p[j], acc);
            }

            o[d] = acc;
        }
    }

    /// <summary>
    /// <see cref="AccumulateValues"/> for <paramref name="heads"/> query heads sharing one value tile (a GQA group):
    /// head h reads p + h·<paramref name="pStride"/> and updates o + h·<paramref name="oStride"/>. Each value vector is
    /// loaded once for up to 3 heads instead of once per head; every output element still gets exactly the FMAs of
    /// <see cref="AccumulateValues"/> in the same order, so the results are bit-identical to calling it per head.
    /// </summary>
    public static void AccumulateValuesHeads(float* p, nint pStride, float* v, nint vStride, int m, int headDim, float* o, nint oStride, int heads)
    {
        Debug.Assert(m is >= 1 and <= Tile && headDim > 0 && vStride >= headDim && heads >= 1);
        int h = 0;
        if (Avx512F.IsSupported && headDim % 32 == 0)
        {
            for (; h + 3 <= heads; h += 3)
            {
                Accumulate3Heads(p + (h * pStride), pStride, v, vStride, m, headDim, o + (h * oStride), oStride);
            }
        }

        for (; h < heads; h++)
        {
            AccumulateValues(p + (h * pStride), v, vStride, m, headDim, o + (h * oStride));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate3Heads(float* p, nint pStride, float* v, nint vStride, int m, int headDim, float* o, nint oStride)
    {
        float* p1 = p + pStride, p2 = p + (2 * pStride);
        float* o1 = o + oStride, o2 = o + (2 * oStride);
        for (int d = 0; d < headDim; d += 32)
        {
            var a0 = Avx512F.LoadVector512(o + d);
            var a1 = Avx512F.LoadVector512(o + d + 16);
            var b0 = Avx512F.LoadVector512(o1 + d);
            var b1 = Avx512F.LoadVector512(o1 + d + 16);
            var c0 = Avx512F.LoadVector512(o2 + d);
            var c1 = Avx512F.LoadVector512(o2 + d + 16);
            float* row = v + d;
            for (int j = 0; j < m; j++, row += vStride)
            {
                var v0 = Avx512F.LoadVector512(row);
                var v1 = Avx512F.LoadVector512(row + 16);
                var pa = Vector512.Create(p[j]);
                var pb = Vector512.Create(p1[j]);
                var pc = Vector512.Create(p2[j]);
                a0 = Avx512F.FusedMultiplyAdd(v0, pa, a0);
                a1 = Avx512F.FusedMultiplyAdd(v1, pa, a1);
                b0 = Avx512F.FusedMultiplyAdd(v0, pb, b0);
                b1 = Avx512F.FusedMultiplyAdd(v1, pb, b1);
                c0 = Avx512F.FusedMultiplyAdd(v0, pc, c0);
                c1 = Avx512F.FusedMultiplyAdd(v1, pc, c1);
            }

            a0.Store(o + d);
            a1.Store(o + d + 16);
            b0.Store(o1 + d);
            b1.Store(o1 + d + 16);
            c0.Store(o2 + d);
            c1.Store(o2 + d + 16);
        }
    }

    /// <summary>Decodes <paramref name="m"/> rows of <paramref name="headDim"/> elements of <paramref name="type"/>
    /// (F16 or Q8_0; rows <paramref name="srcStride"/> bytes apart) into a float tile, rows <paramref name="headDim"/> apart.</summary>
    public static void DecodeTile(GgmlType type, byte* src, nint srcStride, int m, int headDim, float* dst)
    {
        Debug.Assert(type is GgmlType.F16 or GgmlType.Q8_0 or GgmlType.F32);
        if (type == GgmlType.F16 && Avx512F.IsSupported && headDim % 16 == 0)
        {
            // The common case (F16 cache, 64- or 128-wide heads) without a call and type switch per row.
            for (int j = 0; j < m; j++)
            {
                short* row = (short*)(src + (j * srcStride));
                float* o = dst + (j * headDim);
                for (int d = 0; d < headDim; d += 16)
                {
                    VecDot.HalfToSingle(Avx.LoadVector256(row + d)).Store(o + d);
                }
            }

            return;
        }

        for (int j = 0; j < m; j++)
        {
            Dequantize.Row(type, src + (j * srcStride), dst + (j * headDim), headDim);
        }
    }

    /// <summary>Quantizes <paramref name="n"/> floats (a multiple of 32) to ggml's block_q8_0 (f16 scale, 32 int8),
    /// 34 bytes per 32 elements: the Q8_0 KV cache format of llama.cpp.</summary>
    public static void QuantizeQ8_0(float* x, byte* dst, int n)
    {
        Debug.Assert(n % 32 == 0);
        Q8Block b;
        for (int i = 0; i < n; i += 32, dst += 34)
        {
            ActivationQuantizer.ToQ8(x + i, &b, 32);
            // b.D is already rounded through f16, so this conversion is exact.
            *(Half*)dst = (Half)b.D;
            Unsafe.CopyBlockUnaligned(dst + 2, b.Q, 32);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores16Avx512(float* q, float* k, nint s, int headDim, float scale, float* scores)
    {
        Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
        Vector512<float> p8 = default, p9 = default, p10 = default, p11 = default, p12 = default, p13 = default, p14 = default, p15 = default;
        for (int d = 0; d < headDim; d += 16)
        {
            var qv = Avx512F.LoadVector512(q + d);
            float* r = k + d;
            p0 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r), p0);
            p1 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + s), p1);
            p2 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (2 * s)), p2);
            p3 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (3 * s)), p3);
            p4 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (4 * s)), p4);
            p5 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (5 * s)), p5);
            p6 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (6 * s)), p6);
            p7 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (7 * s)), p7);
            r += 8 * s;
            p8 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r), p8);
            p9 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + s), p9);
            p10 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (2 * s)), p10);
            p11 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (3 * s)), p11);
            p12 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (4 * s)), p12);
            p13 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (5 * s)), p13);
            p14 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (6 * s)), p14);
            p15 = Avx512F.FusedMultiplyAdd(qv, Avx512F.LoadVector512(r + (7 * s)), p15);
        }

        // Transpose-reduce in the canonical fold order of VecDot.F32 (lane l with l+8, then l+4, l+2, l+1), so a
        // tile's score is the same bits as the per-key dot of the AVX2 and 128-bit paths: each step halves the
        // vectors while keeping partial sums of distinct keys apart.
        var v0 = Halves(p0, p1);    // 16 → 8: [key0 (l, l+8) × 8 | key1 × 8]
        var v1 = Halves(p2, p3);
        var v2 = Halves(p4, p5);
        var v3 = Halves(p6, p7);
        var v4 = Halves(p8, p9);
        var v5 = Halves(p10, p11);
        var v6 = Halves(p12, p13);
        var v7 = Halves(p14, p15);
        var w0 = Lanes(v0, v1);     // 8 → 4: 128-bit lane L holds key 4m + L
        var w1 = Lanes(v2, v3);
        var w2 = Lanes(v4, v5);
        var w3 = Lanes(v6, v7);
        var sum = Quad(Pair(w0, w1), Pair(w2, w3)); // 4 → 2 → 1: element 4L + i holds key 4i + L
        sum = Avx512F.PermuteVar16x32(sum, KeyOrder);
        Avx512F.Multiply(sum, Vector512.Create(scale)).Store(scores);
    }

    /// <summary>Element j of the reduced tile reads element 4·(j mod 4) + j / 4: keys back in order.</summary>
    private static Vector512<int> KeyOrder => Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

    /// <summary>[a.l0+a.l2, a.l1+a.l3, b.l0+b.l2, b.l1+b.l3] over 128-bit lanes: element i with element i + 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Add(Avx512F.Shuffle4x128(a, b, 0b01_00_01_00), Avx512F.Shuffle4x128(a, b, 0b11_10_11_10));

    /// <summary>Per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Add(Avx512F.UnpackLow(a, b), Avx512F.UnpackHigh(a, b));

    /// <summary>Per 128-bit lane, from two <see cref="Pair"/> results of keys (a, b) and (c, d): [Σa, Σb, Σc, Σd] over that lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quad(Vector512<float> ab, Vector512<float> cd) =>
        Avx512F.Add(
            Avx512F.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle(),
            Avx512F.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle());

    /// <summary>[x.l0+x.l1, x.l2+x.l3, y.l0+y.l1, y.l2+y.l3] over 128-bit lanes l0..l3 (after <see cref="Halves"/>: element i with i + 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Add(Avx512F.Shuffle4x128(x, y, 0b10_00_10_00), Avx512F.Shuffle4x128(x, y, 0b11_01_11_01));
}
