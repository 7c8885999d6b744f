using System.Runtime.Intrinsics;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.BlockKernels;

/// <summary>
/// A 32-element weight block type dotted against one <see cref="Q8Block"/> of activations (Q4_1, Q5_0, Q5_1): how its
/// weights unpack to unsigned bytes, and one token's step. <see cref="VecDot"/>'s generic multi-token loop is compiled
/// once per implementing struct, so the calls inline as if written out.
/// </summary>
internal unsafe interface IBlockKernel
{
    /// <summary>Bytes per block of 32 weights.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>The scalar reference over <paramref name="blocks"/> blocks (machines without AVX2).</summary>
    static abstract float Reference(byte* w, Q8Block* a, int blocks);

    /// <summary>The block's 32 weights as unsigned bytes in element order (≤ 31, so no int16 saturation).</summary>
    static abstract Vector256<byte> Unpack(byte* block);

    /// <summary>One token's block onto its float lanes <paramref name="acc"/>; block-constant terms (offsets, minimums)
    /// go to the scalar <paramref name="offsets"/>, added once at the end.</summary>
    static abstract Vector256<float> Step(Vector256<float> acc, ref float offsets, Vector256<byte> u, byte* block, Q8Block* a);
}
