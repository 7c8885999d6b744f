using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Q8_0 repacked with rows in vector lanes, for AVX2 (with AVX-VNNI where present), in exactly the bytes of the original: each group of
/// 8 rows and each 32-element block becomes 272 bytes — the 8 f16 scales, then 8 × 32 bytes where lane r of
/// part g holds quants 4g..4g+3 of row r stored as w+128. VNNI multiplies unsigned by signed bytes, so the
/// weights are the unsigned side and Σ (w+128)·q − 128·Σq recovers Σ w·q exactly with int32 accumulation;
/// Σq comes with the activation block. Decode stays at the memory floor (no extra bytes) while batches run
/// at integer speed. Layout: [group, block, 272 bytes]. Without VNNI (every AVX2 CPU before Alder Lake / Zen 5) the
/// same layout runs through vpmaddubsw + vpmaddwd as ggml does: the top bit flipped back gives the signed w, |w| is
/// the unsigned side and q takes w's sign; the int32 sums are the same exact Σ w·q, so both paths give bit-identical
/// outputs.
/// </summary>
public static unsafe class Q8_0x8
{
    public const int Rows = 8;
    public const int BlockBytes = 272;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static long Size(int rows, int cols) => (long)(rows / Rows) * (cols / 32) * BlockBytes;

    public static byte* Repack(byte* q8, int rows, int cols) => RowPacking.RepackQ8_0(q8, rows, cols, Rows);

    /// <summary>Most tokens one <see cref="Group"/> call takes: each weight block is loaded once for all of them
    /// (8 accumulators + 8 weight vectors fit the 16 YMM registers' worth of live values the JIT keeps).</summary>
    public const int MaxTokens = 8;

    /// <summary>y[t·yStride + r] for the 8 rows of <paramref name="group"/> and 1–<see cref="MaxTokens"/> tokens of Q8 activations.</summary>
    // Not inlined into the caller: with eight Token bodies inlined here the method is large, and inlined again
    // into MatMul it ran out of the JIT's inlining budget, which left Token as a call taking eight vectors on
    // the stack per block (a third of the decode time). Its own compilation root keeps Token inlined.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Group(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride)
    {
        Debug.Assert(tokens is >= 1 and <= MaxTokens);
        if (!AvxVnni.IsSupported)
        {
            GroupAvx2(packed, group, blocks, a, aStride, tokens, y, yStride);
            return;
        }

        byte* p = packed + ((long)group * blocks * BlockBytes);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector256<float> acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        for (int b = 0; b < blocks; b++, p += BlockBytes)
        {
            RowPacking.PrefetchBlock(p + (RowPacking.PrefetchBlocks * BlockBytes));
            var dw = VecDot.HalfToSingle(Sse2.LoadVector128((short*)p));
            var w0 = Avx.LoadVector256(p + 16);
            var w1 = Avx.LoadVector256(p + 48);
            var w2 = Avx.LoadVector256(p + 80);
            var w3 = Avx.LoadVector256(p + 112);
            var w4 = Avx.LoadVector256(p + 144);
            var w5 = Avx.LoadVector256(p + 176);
            var w6 = Avx.LoadVector256(p + 208);
            var w7 = Avx.LoadVector256(p + 240);
            Q8Block* ab = a + b;
            acc0 = Token(ab, w0, w1, w2, w3, w4, w5, w6, w7, dw, acc0);
            if (tokens > 1)
            {
                acc1 = Token(ab + aStride, w0, w1, w2, w3, w4, w5, w6, w7, dw, acc1);
            }

            if (tokens > 2)
            {
                acc2 = Token(ab + (2 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc2);
            }

            if (tokens > 3)
            {
                acc3 = Token(ab + (3 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc3);
            }

            if (tokens > 4)
            {
                acc4 = Token(ab + (4 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc4);
            }

            if (tokens > 5)
            {
                acc5 = Token(ab + (5 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc5);
            }

            if (tokens > 6)
            {
                acc6 = Token(ab + (6 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc6);
            }

            if (tokens > 7)
            {
                acc7 = Token(ab + (7 * aStride), w0, w1, w2, w3, w4, w5, w6, w7, dw, acc7);
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

        if (tokens > 4)
        {
            acc4.Store(y + (4 * yStride));
        }

        if (tokens > 5)
        {
            acc5.Store(y + (5 * yStride));
        }

        if (tokens > 6)
        {
            acc6.Store(y + (6 * yStride));
        }

        if (tokens > 7)
        {
            acc7.Store(y + (7 * yStride));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Token(
        Q8Block* a, Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7,
        Vector256<float> dw, Vector256<float> acc)
    {
        int* q = (int*)a->Q;
        var s = AvxVnni.MultiplyWideningAndAdd(Vector256.Create(-128 * a->Sum), w0, Vector256.Create(q[0]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w1, Vector256.Create(q[1]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w2, Vector256.Create(q[2]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w3, Vector256.Create(q[3]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w4, Vector256.Create(q[4]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w5, Vector256.Create(q[5]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w6, Vector256.Create(q[6]).AsSByte());
        s = AvxVnni.MultiplyWideningAndAdd(s, w7, Vector256.Create(q[7]).AsSByte());
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(s), Avx.Multiply(dw, Vector256.Create(a->D)), acc);
    }

    /// <summary><see cref="Group"/> without VNNI: the signed weights and their magnitudes are made once per block and
    /// shared by every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void GroupAvx2(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride)
    {
        byte* p = packed + ((long)group * blocks * BlockBytes);
        var top = Vector256.Create((byte)0x80);
        var acc = stackalloc Vector256<float>[MaxTokens];
        for (int t = 0; t < tokens; t++)
        {
            acc[t] = Vector256<float>.Zero;
        }

        for (int b = 0; b < blocks; b++, p += BlockBytes)
        {
            RowPacking.PrefetchBlock(p + (RowPacking.PrefetchBlocks * BlockBytes));
            var dw = VecDot.HalfToSingle(Sse2.LoadVector128((short*)p));
            var w0 = Avx2.Xor(Avx.LoadVector256(p + 16), top).AsSByte();
            var w1 = Avx2.Xor(Avx.LoadVector256(p + 48), top).AsSByte();
            var w2 = Avx2.Xor(Avx.LoadVector256(p + 80), top).AsSByte();
            var w3 = Avx2.Xor(Avx.LoadVector256(p + 112), top).AsSByte();
            var w4 = Avx2.Xor(Avx.LoadVector256(p + 144), top).AsSByte();
            var w5 = Avx2.Xor(Avx.LoadVector256(p + 176), top).AsSByte();
            var w6 = Avx2.Xor(Avx.LoadVector256(p + 208), top).AsSByte();
            var w7 = Avx2.Xor(Avx.LoadVector256(p + 240), top).AsSByte();
            Q8Block* ab = a + b;
            for (int t = 0; t < tokens; t++, ab += aStride)
            {
                int* q = (int*)ab->Q;
                var s = PartAvx2(w0, q[0]);
                s = Avx2.Add(s, PartAvx2(w1, q[1]));
                s = Avx2.Add(s, PartAvx2(w2, q[2]));
                s = Avx2.Add(s, PartAvx2(w3, q[3]));
                s = Avx2.Add(s, PartAvx2(w4, q[4]));
                s = Avx2.Add(s, PartAvx2(w5, q[5]));
                s = Avx2.Add(s, PartAvx2(w6, q[6]));
                s = Avx2.Add(s, PartAvx2(w7, q[7]));
                acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(s), Avx.Multiply(dw, Vector256.Create(ab->D)), acc[t]);
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            acc[t].Store(y + (t * yStride));
        }
    }

    /// <summary>Lane r: Σ of 4 products of row r's weights (signed) with the token's 4 quants <paramref name="q4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PartAvx2(Vector256<sbyte> w, int q4)
    {
        // |w| ≤ 128 unsigned, q ≤ 127 in magnitude with w's sign: a pair sums to at most 32,512, inside int16.
        var p16 = Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(Vector256.Create(q4).AsSByte(), w));
        return Avx2.MultiplyAddAdjacent(p16, Vector256.Create((short)1));
    }
}
