using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="blocks"/> MXFP4 blocks (17 bytes: u8 e, 16 bytes of nibbles; value = 2^(e − 128)·kvalues[n],
    /// low nibbles elements 0–15) · activations quantized by <see cref="ActivationQuantizer.ToQ8"/> (as ggml dots MXFP4
    /// with Q8_0). The <see cref="IQ4_NL"/> kernel with the FP4 levels and the E8M0 scale; the same bits on every ISA level.
    /// </summary>
    public static float MXFP4(byte* w, Q8Block* a, int blocks) => NibbleLevelDot(w, a, blocks, mx: true);

    /// <summary>Scalar reference for <see cref="MXFP4"/>.</summary>
    public static float MXFP4Reference(byte* w, Q8Block* a, int blocks) => NibbleLevelDotReference(w, a, blocks, mx: true);

    /// <summary>ggml's kvalues_mxfp4 in both 128-bit halves, for vpshufb.</summary>
    internal static System.Runtime.Intrinsics.Vector256<sbyte> Mxfp4Table() => System.Runtime.Intrinsics.Vector256.Create(
        (sbyte)0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
        0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
}
