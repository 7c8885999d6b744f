using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.BlockKernels;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// A 32-element block type (<typeparamref name="T"/>) against 1–4 tokens' activations (rows <paramref name="aStride"/>
    /// blocks apart): each block is unpacked once for all of them, and every token gets exactly the operations it gets
    /// alone, so y[t·<paramref name="yStride"/>] is bit-identical to its single-token result (batch invariance).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BlockTokens<T>(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride)
        where T : struct, IBlockKernel
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = T.Reference(w, a + (t * aStride), blocks);
            }

            return;
        }

        // Up to 4 tokens' sums in registers (locals, not an array, so the JIT keeps them out of memory).
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        for (int b = 0; b < blocks; b++, w += T.BlockBytes)
        {
            var u = T.Unpack(w);
            acc0 = T.Step(acc0, ref m0, u, w, a + b);
            if (tokens > 1)
            {
                acc1 = T.Step(acc1, ref m1, u, w, a1 + b);
            }

            if (tokens > 2)
            {
                acc2 = T.Step(acc2, ref m2, u, w, a2 + b);
            }

            if (tokens > 3)
            {
                acc3 = T.Step(acc3, ref m3, u, w, a3 + b);
            }
        }

        y[0] = HSum(acc0) + m0;
        if (tokens > 1)
        {
            y[yStride] = HSum(acc1) + m1;
        }

        if (tokens > 2)
        {
            y[2 * yStride] = HSum(acc2) + m2;
        }

        if (tokens > 3)
        {
            y[3 * yStride] = HSum(acc3) + m3;
        }
    }

    /// <summary>One token's block of an offset type (Q4_1, Q5_1): Σ u·a in int32 times d·D, and m·D·Σa on the side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MinStep(Vector256<float> acc, ref float mins, Vector256<byte> u, float d, float m, Q8Block* a)
    {
        var dot = DotU8S8(Vector256<int>.Zero, u, Avx.LoadVector256(a->Q));
        mins += m * a->D * a->Sum;
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d * a->D), acc);
    }
}
