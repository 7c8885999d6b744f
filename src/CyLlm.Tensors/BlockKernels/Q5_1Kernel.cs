using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.BlockKernels;

/// <summary>Q5_1 (24 bytes: f16 d, f16 m, u32 qh, 16 bytes of nibbles; value = (n | h·16)·d + m).</summary>
internal readonly unsafe struct Q5_1Kernel : IBlockKernel
{
    public static int BlockBytes => 24;

    public static float Reference(byte* w, Q8Block* a, int blocks) => VecDot.Q5_1Reference(w, a, blocks);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block) =>
        Avx2.Or(VecDot.Nibbles(block + 8), VecDot.HighBits(Unsafe.ReadUnaligned<uint>(block + 4)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Step(Vector256<float> acc, ref float offsets, Vector256<byte> u, byte* block, Q8Block* a) =>
        VecDot.MinStep(acc, ref offsets, u, Fp16.ToFloat(*(ushort*)block), Fp16.ToFloat(*(ushort*)(block + 2)), a);
}
