using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Which weight matrices run from a rows-in-lanes copy (<see cref="Q4_0x16"/>, <see cref="Q4_Kx8"/>; <see cref="Q8_0x16"/> where the
/// 512-bit VNNI kernel loads, else <see cref="Q8_0x8"/>) on this processor. The choice is fixed per process, and
/// <see cref="MatMul"/> makes the same one when it runs a packed matrix. Rows must be a multiple of 16 because <see cref="MatMul"/> splits packed matrices into 16-row chunks.
/// </summary>
public static unsafe class RowPacking
{
    /// <summary>Repacks a row-major matrix when a packed kernel exists for it here; the caller owns (and
    /// frees with NativeMemory.AlignedFree) the returned memory. Returns null when the matrix stays as it is.</summary>
    public static byte* TryRepack(GgmlType type, byte* data, int rows, int cols)
    {
        if (rows % 16 != 0)
        {
            return null;
        }

        return type switch
        {
            GgmlType.Q4_0 when Q4_0x16.IsSupported => Q4_0x16.Repack(data, rows, cols),
            GgmlType.Q4_K when Q4_Kx8.IsSupported => Q4_Kx8.Repack(data, rows, cols),
            GgmlType.Q8_0 when Q8_0x16.IsSupported => Q8_0x16.Repack(data, rows, cols),
            GgmlType.Q8_0 when Q8_0x8.IsSupported => Q8_0x8.Repack(data, rows, cols),
            _ => null,
        };
    }

    /// <summary>
    /// Q8_0 rows in lanes, <paramref name="groupRows"/> rows per group (8 for <see cref="Q8_0x8"/>, 16 for
    /// <see cref="Q8_0x16"/>), in exactly the bytes of the original: per group and 32-column block, the rows' f16
    /// scales, then 8 parts of 4 × groupRows bytes where dword lane r of part k holds quants 4k..4k+3 of row r
    /// stored as w+128. Layout: [group, block, 34 × groupRows bytes]; the caller frees it with AlignedFree.
    /// </summary>
    internal static byte* RepackQ8_0(byte* q8, int rows, int cols, int groupRows)
    {
        Debug.Assert(rows % groupRows == 0 && cols % 32 == 0);
        int blocks = cols / 32;
        long rowBytes = blocks * 34L;
        int blockBytes = 34 * groupRows;
        int scaleBytes = 2 * groupRows;
        int partBytes = 4 * groupRows;
        var dst = (byte*)NativeMemory.AlignedAlloc((nuint)((long)(rows / groupRows) * blocks * blockBytes), 64);
        for (int g = 0; g < rows / groupRows; g++)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* o = dst + (((long)g * blocks) + b) * blockBytes;
                for (int r = 0; r < groupRows; r++)
                {
                    byte* blk = q8 + (((long)g * groupRows) + r) * rowBytes + (b * 34L);
                    ((ushort*)o)[r] = *(ushort*)blk;
                    for (int part = 0; part < 8; part++)
                    {
                        // Flipping the top bit of each byte turns the signed w into the unsigned w+128.
                        *(uint*)(o + scaleBytes + (part * partBytes) + (r * 4)) = Unsafe.ReadUnaligned<uint>(blk + 2 + (part * 4)) ^ 0x80808080u;
                    }
                }
            }
        }

        return dst;
    }

    /// <summary>How far ahead (in blocks) the C# packed kernels prefetch weights. With several tokens a block takes
    /// long enough to compute that the next blocks' loads fall outside the out-of-order window, and weights streamed
    /// from memory then arrive at a fraction of the bandwidth (measured: 2.5× slower at 16 tokens without it).</summary>
    internal const int PrefetchBlocks = 16;

    /// <summary>Prefetches the lines of a packed block of at most 288 bytes at <paramref name="p"/> (Q8_0x8: 272,
    /// Q4_0x16: 288); a prefetch past the end of the data never faults.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchBlock(byte* p)
    {
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 64);
        Sse.Prefetch0(p + 128);
        Sse.Prefetch0(p + 192);
        Sse.Prefetch0(p + 256);
        Sse.Prefetch0(p + 287);
    }
}
