using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Q8_0 repacked with rows in vector lanes, for AVX-VNNI, in exactly the bytes of the original: each group of
/// 8 rows and each 32-element block becomes 272 bytes — the 8 f16 scales, then 8 × 32 bytes where lane r of
/// part g holds quants 4g..4g+3 of row r stored as w+128. VNNI multiplies unsigned by signed bytes, so the
/// weights are the unsigned side and Σ (w+128)·q − 128·Σq recovers Σ w·q exactly with int32 accumulation;
/// Σq comes with the activation block. Decode stays at the memory floor (no extra bytes) while batches run
/// at integer speed. Layout: [group, block, 272 bytes].
/// </summary>
public static unsafe class Q8_0x8
{
    public const int Rows = 8;
    public const int BlockBytes = 272;

    public static bool IsSupported => AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported;

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
}
