using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.BlockKernels;

/// <summary>Q4_1 (20 bytes: f16 d, f16 m, 16 bytes of nibbles; value = n·d + m).</summary>
internal readonly unsafe struct Q4_1Kernel : IBlockKernel
{
    public static int BlockBytes => 20;

    public static float Reference(byte* w, Q8Block* a, int blocks) => VecDot.Q4_1Reference(w, a, blocks);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block) => VecDot.Nibbles(block + 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Step(Vector256<float> acc, ref float offsets, Vector256<byte> u, byte* block, Q8Block* a) =>
        VecDot.MinStep(acc, ref offsets, u, Fp16.ToFloat(*(ushort*)block), Fp16.ToFloat(*(ushort*)(block + 2)), a);
}
