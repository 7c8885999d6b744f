using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.BlockKernels;

/// <summary>Q5_0 (22 bytes: f16 d, u32 qh, 16 bytes of nibbles; value = ((n | h·16) − 16)·d).</summary>
internal readonly unsafe struct Q5_0Kernel : IBlockKernel
{
    public static int BlockBytes => 22;

    public static float Reference(byte* w, Q8Block* a, int blocks) => VecDot.Q5_0Reference(w, a, blocks);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unpack(byte* block) =>
        Avx2.Or(VecDot.Nibbles(block + 6), VecDot.HighBits(Unsafe.ReadUnaligned<uint>(block + 2)));

    /// <summary>Σ (u − 16)·a as Σ u·a − 16·Σa in int32 (the offset folds into the integer sum, not <paramref name="offsets"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Step(Vector256<float> acc, ref float offsets, Vector256<byte> u, byte* block, Q8Block* a)
    {
        var dot = VecDot.DotU8S8(Vector256.CreateScalar(-16 * a->Sum), u, Avx.LoadVector256(a->Q));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)block) * a->D), acc);
    }
}
