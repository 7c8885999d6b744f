using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Q4_K repacked with 8 rows in vector lanes (AVX2; the same code runs on AVX-512 machines), as llama.cpp's
/// q4_K_8x8 repack does. A row-at-a-time Q4_K dot spends most of its instructions on per-row work: unpacking the
/// 6-bit scales, broadcasting each sub-block's scale, and one horizontal sum per row; with 8 rows in the lanes of
/// one vector the activations are broadcast instead (one 4-byte value per 4 columns, shared by the 8 rows), the
/// scales are stored unpacked, and the 8 results come out of one register. That is about a third of the
/// instructions per weight, which is what bounded decode (measured: 0.80× llama.cpp on an AVX-512 Zen 4 with the
/// row kernel).
/// <para>Layout, per group of 8 rows and per 256-column super-block (<see cref="BlockBytes"/> = 1,184 bytes, 32
/// more than the 8 rows' 1,152): the 8 f16 d, the 8 f16 dmin, the 6-bit scales as bytes [sub-block j][row r],
/// the 6-bit minimums the same way, then for each 64-column chunk c and each k = 0..7 32 bytes in which dword lane r
/// holds bytes 4k..4k+3 of row r's chunk c: low nibbles are columns 64c + 4k.., sub-block 2c; high nibbles
/// columns 64c + 32 + 4k.., sub-block 2c + 1. Groups are [group, super-block, 1,184 bytes].</para>
/// <para>Arithmetic (exact in integers until the super-block's scales): per chunk and token, 8 vpmaddubsw sums of
/// nibble × activation pairs in int16 (at most 8 · 2 · 15 · 127 = 30,480), then one vpmaddwd by the sub-block scale
/// per row; the minimums fold in as Σ m_j · Σq_j from the activation's per-16 sums. Each token's arithmetic is the same
/// whatever the token count, so a token's result does not depend on the batch (batch invariance).</para>
/// </summary>
public static unsafe class Q4_Kx8
{
    public const int Rows = 8;
    public const int BlockBytes = 1184;

    /// <summary>Most tokens per <see cref="Group"/> call: each super-block's nibbles are unpacked once for all of them.</summary>
    public const int MaxTokens = 4;

    private const int ScalesOffset = 32;
    private const int MinsOffset = 96;
    private const int QsOffset = 160;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static long Size(int rows, int cols) => (long)(rows / Rows) * (cols / 256) * BlockBytes;

    /// <summary>Repacks a row-major Q4_K matrix (rows a multiple of 8, cols of 256); the caller frees the result with
    /// NativeMemory.AlignedFree.</summary>
    public static byte* Repack(byte* q4k, int rows, int cols)
    {
        if (rows % Rows != 0 || cols % 256 != 0)
        {
            throw new ArgumentException($"Q4_K rows-in-lanes needs rows a multiple of 8 and columns of 256, not {rows} × {cols}");
        }

        int sbs = cols / 256;
        long rowBytes = sbs * 144L;
        var dst = (byte*)NativeMemory.AlignedAlloc((nuint)Size(rows, cols), 64);
        for (int g = 0; g < rows / Rows; g++)
        {
            for (int sb = 0; sb < sbs; sb++)
            {
                byte* o = dst + (((long)g * sbs) + sb) * BlockBytes;
                for (int r = 0; r < Rows; r++)
                {
                    byte* src = q4k + ((((long)g * Rows) + r) * rowBytes) + (sb * 144L);
                    ((ushort*)o)[r] = *(ushort*)src;
                    ((ushort*)(o + 16))[r] = *(ushort*)(src + 2);
                    for (int j = 0; j < 8; j++)
                    {
                        Dequantize.ScaleMinK4(j, src + 4, out int sc, out int m);
                        o[ScalesOffset + (8 * j) + r] = (byte)sc;
                        o[MinsOffset + (8 * j) + r] = (byte)m;
                    }

                    for (int part = 0; part < 32; part++)
                    {
                        // part = 8c + k: bytes 4k..4k+3 of chunk c are bytes 32c + 4k.. = 4·part of the row's 128.
                        *(uint*)(o + QsOffset + (part * 32) + (r * 4)) = Unsafe.ReadUnaligned<uint>(src + 16 + (part * 4));
                    }
                }
            }
        }

        return dst;
    }

    /// <summary>
    /// y[t·<paramref name="yStride"/> + r] for the 8 rows of <paramref name="group"/> and 1–<see cref="MaxTokens"/> tokens:
    /// activations <see cref="ActivationQuantizer.ToQ8K(float*, Q8Block*, short*, int)"/> of token t at
    /// a + t·<paramref name="aStride"/> (blocks) with their per-16 sums at sums16 + t·2·<paramref name="aStride"/>.
    /// </summary>
    // Its own compilation root (not inlined into MatMul), fully optimized from the first call: see Q8_0x8.Group.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Group(byte* packed, int group, int superBlocks, Q8Block* a, short* sums16, int aStride, int tokens, float* y, nint yStride)
    {
        if (tokens is < 1 or > MaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"1 to {MaxTokens} tokens");
        }

        byte* p = packed + ((long)group * superBlocks * BlockBytes);
        var mask = Vector256.Create((byte)0x0F);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        short* m0 = sums16, m1 = sums16 + (2 * aStride), m2 = sums16 + (4 * aStride), m3 = sums16 + (6 * aStride);
        for (int sb = 0; sb < superBlocks; sb++, p += BlockBytes)
        {
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            int o = sb * 8;
            for (int c = 0; c < 4; c++, o += 2)
            {
                Vector256<short> l0 = default, h0 = default, l1 = default, h1 = default;
                Vector256<short> l2 = default, h2 = default, l3 = default, h3 = default;
                byte* q = p + QsOffset + (c * 256);
                Sse.Prefetch0(q + (2 * BlockBytes));
                Sse.Prefetch0(q + (2 * BlockBytes) + 64);
                Sse.Prefetch0(q + (2 * BlockBytes) + 128);
                Sse.Prefetch0(q + (2 * BlockBytes) + 192);
                for (int k = 0; k < 8; k++, q += 32)
                {
                    var w = Avx.LoadVector256(q);
                    var lo = Avx2.And(w, mask);
                    var hi = Avx2.And(Avx2.ShiftRightLogical(w.AsUInt16(), 4).AsByte(), mask);
                    int at = 4 * k;
                    Step(ref l0, ref h0, lo, hi, a + o, at);
                    if (tokens > 1)
                    {
                        Step(ref l1, ref h1, lo, hi, a1 + o, at);
                    }

                    if (tokens > 2)
                    {
                        Step(ref l2, ref h2, lo, hi, a2 + o, at);
                    }

                    if (tokens > 3)
                    {
                        Step(ref l3, ref h3, lo, hi, a3 + o, at);
                    }
                }

                var sLo = Pairs(p + ScalesOffset + (16 * c));
                var sHi = Pairs(p + ScalesOffset + (16 * c) + 8);
                i0 = Scale(i0, l0, h0, sLo, sHi);
                if (tokens > 1)
                {
                    i1 = Scale(i1, l1, h1, sLo, sHi);
                }

                if (tokens > 2)
                {
                    i2 = Scale(i2, l2, h2, sLo, sHi);
                }

                if (tokens > 3)
                {
                    i3 = Scale(i3, l3, h3, sLo, sHi);
                }
            }

            var d = VecDot.HalfToSingle(Sse2.LoadVector128((short*)p));
            var dmin = VecDot.HalfToSingle(Sse2.LoadVector128((short*)(p + 16)));
            int k8 = sb * 8, k16 = sb * 16;
            acc0 = Close(acc0, i0, p, m0 + k16, d, dmin, a[k8].D);
            if (tokens > 1)
            {
                acc1 = Close(acc1, i1, p, m1 + k16, d, dmin, a1[k8].D);
            }

            if (tokens > 2)
            {
                acc2 = Close(acc2, i2, p, m2 + k16, d, dmin, a2[k8].D);
            }

            if (tokens > 3)
            {
                acc3 = Close(acc3, i3, p, m3 + k16, d, dmin, a3[k8].D);
            }
        }

        acc0.Store(y);
        if (tokens > 1)
        {
            acc1.Store(y + yStride);
        }

        if (tokens > 2)
        {
            acc2.Store(y + (2 * yStride));
        }

        if (tokens > 3)
        {
            acc3.Store(y + (3 * yStride));
        }
    }

    /// <summary>One token, 4 columns of sub-blocks 2c (low nibbles) and 2c+1 (high): the activation's 4 bytes broadcast to
    /// the 8 row lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref Vector256<short> l, ref Vector256<short> h, Vector256<byte> lo, Vector256<byte> hi, Q8Block* a, int at)
    {
        l = Avx2.Add(l, Avx2.MultiplyAddAdjacent(lo, Vector256.Create(*(int*)(a->Q + at)).AsSByte()));
        h = Avx2.Add(h, Avx2.MultiplyAddAdjacent(hi, Vector256.Create(*(int*)(a[1].Q + at)).AsSByte()));
    }

    /// <summary>A chunk's int16 pair sums times each row's sub-block scales, added to the super-block's int32 sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scale(Vector256<int> sum, Vector256<short> l, Vector256<short> h, Vector256<short> sLo, Vector256<short> sHi) =>
        Avx2.Add(sum, Avx2.Add(Avx2.MultiplyAddAdjacent(l, sLo), Avx2.MultiplyAddAdjacent(h, sHi)));

    /// <summary>8 bytes (one per row) as int16 pairs (v, v) in the row's dword lane, for vpmaddwd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Pairs(byte* bytes)
    {
        var v = Avx2.ConvertToVector256Int32(bytes);
        return Avx2.Or(v, Avx2.ShiftLeftLogical(v, 16)).AsInt16();
    }

    /// <summary>A super-block's scales: Σ·d·D less dmin·D·Σ_j m_j·Σq_j (the per-16 sums paired: s[2j] + s[2j+1] = Σq_j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Close(Vector256<float> acc, Vector256<int> sum, byte* p, short* sums16, Vector256<float> d, Vector256<float> dmin, float aD)
    {
        Vector256<int> m = default;
        for (int j = 0; j < 8; j++)
        {
            m = Avx2.Add(m, Avx2.MultiplyAddAdjacent(Pairs(p + MinsOffset + (8 * j)), Vector256.Create(*(int*)(sums16 + (2 * j))).AsInt16()));
        }

        var dD = Vector256.Create(aD);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Avx.Multiply(d, dD), acc);
        return Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(m), Avx.Multiply(dmin, dD), acc);
    }
}
