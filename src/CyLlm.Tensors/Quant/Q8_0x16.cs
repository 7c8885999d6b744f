using System.Diagnostics;
using CyLlm.Tensors.Native;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// Q8_0 repacked with 16 rows in the dword lanes of a 512-bit vector, for AVX-512 VNNI, in exactly the bytes of
/// the original: each group of 16 rows and each 32-element block becomes 544 bytes — the 16 f16 scales, then
/// 8 × 64 bytes where lane r of part k holds quants 4k..4k+3 of row r stored as w+128 (the unsigned side of
/// vpdpbusd; Σq·128 is subtracted back, as in <see cref="Q8_0x8"/>). Layout: [group, block, 544 bytes].
/// The kernel is machine code (<see cref="Vnni512Kernels"/>) because .NET 10 has no 512-bit VNNI intrinsic;
/// its arithmetic is <see cref="Q8_0x8"/>'s, operation for operation, so both give bit-identical results.
/// </summary>
public static unsafe class Q8_0x16
{
    public const int Rows = 16;
    public const int BlockBytes = 544;

    /// <summary>Most tokens one <see cref="Group"/> call takes (16 accumulators + 8 weight vectors of 32 registers).</summary>
    public const int MaxTokens = 16;

    public static bool IsSupported { get; } = Vnni512Kernels.IsLoaded;

    /// <summary>Why the kernel is not available here, or "loaded".</summary>
    public static string Status => Vnni512Kernels.Status;

    public static long Size(int rows, int cols) => (long)(rows / Rows) * (cols / 32) * BlockBytes;

    public static byte* Repack(byte* q8, int rows, int cols) => RowPacking.RepackQ8_0(q8, rows, cols, Rows);

    /// <summary>y[t·yStride + r] for the 16 rows of <paramref name="group"/> and 1–<see cref="MaxTokens"/> tokens
    /// of Q8 activations (token t's blocks at a + t·aStride).</summary>
    public static void Group(byte* packed, int group, int blocks, Q8Block* a, int aStride, int tokens, float* y, nint yStride)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException($"the Q8_0 16-row kernel is not available: {Status}");
        }

        Debug.Assert(tokens is >= 1 and <= MaxTokens && blocks >= 1);
        Vnni512Kernels.Q8_0x16(packed + ((long)group * blocks * BlockBytes), blocks, a, aStride, tokens, y, yStride);
    }
}
