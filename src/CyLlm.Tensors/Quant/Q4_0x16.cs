using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Q4_0 repacked with rows in vector lanes, for AVX-512BW, in exactly the bytes of the original: each group of
/// 16 rows and each 32-element block becomes 288 bytes — the 16 f16 scales, then 4 × 64 bytes where lane r holds bytes 4s..4s+3 of row r's
/// block (elements 4s..4s+3 in the low nibbles, 16+4s..16+4s+3 in the high ones). One 512-bit multiply-add then
/// advances 16 rows at once and the block scale is applied once per 16 rows instead of once per row, which
/// makes decode memory-bound and prompt processing integer-speed. Layout: [group, block, 288 bytes]. On AVX2 the same
/// layout runs as two 8-row halves of 256 bits (each 64-byte part is rows 0–7 then rows 8–15), with the same integer
/// sums and float steps per lane, so its outputs are bit-identical to the 512-bit kernel's.
/// </summary>
public static unsafe class Q4_0x16
{
    public const int Rows = 16;
    public const int BlockBytes = 288;

    public static bool IsSupported => (Avx512F.IsSupported && Avx512BW.IsSupported) || (Avx2.IsSupported && Fma.IsSupported);

    /// <summary>True when the 512-bit managed kernel runs (else the AVX2 halves).</summary>
    public static bool Uses512 => Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>Bytes of the repacked form of a [rows, cols] Q4_0 matrix.</summary>
    public static long Size(int rows, int cols) => (long)(rows / Rows) * (cols / 32) * BlockBytes;

    /// <summary>Repacks a row-major Q4_0 matrix (rows a multiple of 16) into native memory owned by the caller.</summary>
    public static byte* Repack(byte* q4, int rows, int cols)
    {
        Debug.Assert(rows % Rows == 0 && cols % 32 == 0);
        int blocks = cols / 32;
        long rowBytes = blocks * 18L;
        var dst = (byte*)NativeMemory.AlignedAlloc((nuint)Size(rows, cols), 64);
        for (int g = 0; g < rows / Rows; g++)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* o = dst + (((long)g * blocks) + b) * BlockBytes;
                for (int r = 0; r < Rows; r++)
                {
                    byte* blk = q4 + (((long)g * Rows) + r) * rowBytes + (b * 18L);
                    ((ushort*)o)[r] = *(ushort*)blk;
                    for (int s = 0; s < 4; s++)
                    {
                        *(uint*)(o + 32 + (s * 64) + (r * 4)) = Unsafe.ReadUnaligned<uint>(blk + 2 + (s * 4));
                    }
                }
            }
        }

        return dst;
    }

    /// <summary>Most tokens one <see cref="Group"/> call takes: each weight block is unpacked once for all of them
    /// (8 accumulators + 8 unpacked weight vectors stay in the 32 ZMM registers).</summary>
    public const int MaxTokens = 8;

    /// <summary>True when the 512-bit VNNI machine-code kernel (<see cref="Native.Vnni512Kernels"/>) runs this
    /// layout here: up to 16 tokens per call and bit-identical results to <see cref="Group"/>.</summary>
    public static bool HasNativeKernel { get; } = Native.Vnni512Kernels.IsLoaded;

    /// <summary>Most tokens one <see cref="Run"/> call takes on this processor.</summary>
    public static int RunTokens { get; } = HasNativeKernel ? 16 : MaxTokens;

    /// <summary>The kernel of this process for 1–<see cref="RunTokens"/> tokens: the native one where it loaded, else <see cref="Group"/>.</summary>
    public static void Run(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride)
    {
        Debug.Assert(tokens >= 1 && tokens <= RunTokens);
        if (HasNativeKernel)
        {
            Native.Vnni512Kernels.Q4_0x16(packed + ((long)group * blocks * BlockBytes), blocks, a, aStride, tokens, y, yStride);
        }
        else
        {
            Group(packed, group, blocks, a, aStride, tokens, y, yStride);
        }
    }

    /// <summary>
    /// y[t·yStride + r] for the 16 rows of group <paramref name="group"/> and <paramref name="tokens"/> (1–8)
    /// tokens of Q8 activations ([tokens, blocks], row stride <paramref name="aStride"/> blocks).
    /// </summary>
    // Not inlined into the caller: with eight Token bodies inlined here the method is large, and inlined again
    // into MatMul it ran out of the JIT's inlining budget, which left Token as a call taking eight vectors on
    // the stack per block (a third of the decode time). Its own compilation root keeps Token inlined.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Group(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride)
    {
        Debug.Assert(tokens is >= 1 and <= MaxTokens);
        if (!Uses512)
        {
            GroupAvx2(packed, group, blocks, a, aStride, tokens, y, yStride, 0);
            GroupAvx2(packed, group, blocks, a, aStride, tokens, y, yStride, 8);
            return;
        }

        byte* p = packed + ((long)group * blocks * BlockBytes);
        var mask = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector512<float> acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        for (int b = 0; b < blocks; b++, p += BlockBytes)
        {
            RowPacking.PrefetchBlock(p + (RowPacking.PrefetchBlocks * BlockBytes));
            var dw = VecDot.HalfToSingle(Avx.LoadVector256((short*)p));
            var v0 = Avx512F.LoadVector512(p + 32);
            var v1 = Avx512F.LoadVector512(p + 96);
            var v2 = Avx512F.LoadVector512(p + 160);
            var v3 = Avx512F.LoadVector512(p + 224);
            var l0 = Avx512F.And(v0, mask);
            var l1 = Avx512F.And(v1, mask);
            var l2 = Avx512F.And(v2, mask);
            var l3 = Avx512F.And(v3, mask);
            var h0 = Avx512F.And(Avx512BW.ShiftRightLogical(v0.AsUInt16(), 4).AsByte(), mask);
            var h1 = Avx512F.And(Avx512BW.ShiftRightLogical(v1.AsUInt16(), 4).AsByte(), mask);
            var h2 = Avx512F.And(Avx512BW.ShiftRightLogical(v2.AsUInt16(), 4).AsByte(), mask);
            var h3 = Avx512F.And(Avx512BW.ShiftRightLogical(v3.AsUInt16(), 4).AsByte(), mask);
            Q8Block* ab = a + b;
            acc0 = Token(ab, l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc0);
            if (tokens > 1)
            {
                acc1 = Token(ab + aStride, l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc1);
            }

            if (tokens > 2)
            {
                acc2 = Token(ab + (2 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc2);
            }

            if (tokens > 3)
            {
                acc3 = Token(ab + (3 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc3);
            }

            if (tokens > 4)
            {
                acc4 = Token(ab + (4 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc4);
            }

            if (tokens > 5)
            {
                acc5 = Token(ab + (5 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc5);
            }

            if (tokens > 6)
            {
                acc6 = Token(ab + (6 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc6);
            }

            if (tokens > 7)
            {
                acc7 = Token(ab + (7 * aStride), l0, l1, l2, l3, h0, h1, h2, h3, dw, ones, acc7);
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
    private static Vector512<float> Token(
        Q8Block* a, Vector512<byte> l0, Vector512<byte> l1, Vector512<byte> l2, Vector512<byte> l3,
        Vector512<byte> h0, Vector512<byte> h1, Vector512<byte> h2, Vector512<byte> h3,
        Vector512<float> dw, Vector512<short> ones, Vector512<float> acc)
    {
        int* q = (int*)a->Q;
        // Pair sums stay within int16: 8 terms of at most 2·15·127.
        var s = Avx512BW.MultiplyAddAdjacent(l0, Vector512.Create(q[0]).AsSByte());
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(l1, Vector512.Create(q[1]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(l2, Vector512.Create(q[2]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(l3, Vector512.Create(q[3]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(h0, Vector512.Create(q[4]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(h1, Vector512.Create(q[5]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(h2, Vector512.Create(q[6]).AsSByte()));
        s = Avx512BW.Add(s, Avx512BW.MultiplyAddAdjacent(h3, Vector512.Create(q[7]).AsSByte()));
        var dot = Avx512F.Subtract(Avx512BW.MultiplyAddAdjacent(s, ones), Vector512.Create(8 * a->Sum));
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), Avx512F.Multiply(dw, Vector512.Create(a->D)), acc);
    }

    /// <summary><see cref="Group"/> for rows <paramref name="half"/>..<paramref name="half"/>+7 of the group with 256-bit
    /// vectors: the same unpacking, int16 pair sums and float steps per lane as the 512-bit kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void GroupAvx2(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride, int half)
    {
        byte* p = packed + ((long)group * blocks * BlockBytes);
        var mask = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        var acc = stackalloc Vector256<float>[MaxTokens];
        for (int t = 0; t < tokens; t++)
        {
            acc[t] = Vector256<float>.Zero;
        }

        int off = half * 4;   // byte offset of the half's rows within a 64-byte part (4 bytes a row)
        for (int b = 0; b < blocks; b++, p += BlockBytes)
        {
            RowPacking.PrefetchBlock(p + (RowPacking.PrefetchBlocks * BlockBytes));
            var dw = VecDot.HalfToSingle(Sse2.LoadVector128((short*)p + half));
            var v0 = Avx.LoadVector256(p + 32 + off);
            var v1 = Avx.LoadVector256(p + 96 + off);
            var v2 = Avx.LoadVector256(p + 160 + off);
            var v3 = Avx.LoadVector256(p + 224 + off);
            var l0 = Avx2.And(v0, mask);
            var l1 = Avx2.And(v1, mask);
            var l2 = Avx2.And(v2, mask);
            var l3 = Avx2.And(v3, mask);
            var h0 = Avx2.And(Avx2.ShiftRightLogical(v0.AsUInt16(), 4).AsByte(), mask);
            var h1 = Avx2.And(Avx2.ShiftRightLogical(v1.AsUInt16(), 4).AsByte(), mask);
            var h2 = Avx2.And(Avx2.ShiftRightLogical(v2.AsUInt16(), 4).AsByte(), mask);
            var h3 = Avx2.And(Avx2.ShiftRightLogical(v3.AsUInt16(), 4).AsByte(), mask);
            Q8Block* ab = a + b;
            for (int t = 0; t < tokens; t++, ab += aStride)
            {
                int* q = (int*)ab->Q;
                var s = Avx2.MultiplyAddAdjacent(l0, Vector256.Create(q[0]).AsSByte());
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l1, Vector256.Create(q[1]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l2, Vector256.Create(q[2]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(l3, Vector256.Create(q[3]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h0, Vector256.Create(q[4]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h1, Vector256.Create(q[5]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h2, Vector256.Create(q[6]).AsSByte()));
                s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(h3, Vector256.Create(q[7]).AsSByte()));
                var dot = Avx2.Subtract(Avx2.MultiplyAddAdjacent(s, ones), Vector256.Create(8 * ab->Sum));
                acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Avx.Multiply(dw, Vector256.Create(ab->D)), acc[t]);
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            acc[t].Store(y + (t * yStride) + half);
        }
    }
}
