using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    // The integer kernels of Q2_K, Q3_K, IQ4_NL and IQ4_XS give the same bits on every ISA level: the vector path keeps
    // 8 int32 lanes per block or super-block (lane k holds bytes 4k..4k+3 of each 32-element group: vpmaddubsw pairs,
    // then vpmaddwd pairs of pairs), which are exact, so the scalar reference adds each element's integer product into
    // lane (element mod 32) / 4 in any order and gets the same integers; both then fuse-multiply-add the lanes into 8
    // float lanes with the same scale and fold them as Fold(Vector256) does. Helpers of those scalar references.

    /// <summary>acc[k] = lanes[k]·scale + acc[k] (one rounding, as vfmadd231ps), and the int lanes cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LanesFma(float* acc, int* lanes, float scale)
    {
        for (int k = 0; k < 8; k++)
        {
            acc[k] = MathF.FusedMultiplyAdd(lanes[k], scale, acc[k]);
            lanes[k] = 0;
        }
    }

    /// <summary><see cref="Fold(Vector256{float})"/> of 8 lanes in memory: t_i = l_i + l_{i+4}, then (t0 + t2) + (t1 + t3).</summary>
    internal static float Fold8(float* l)
    {
        float t0 = l[0] + l[4], t1 = l[1] + l[5], t2 = l[2] + l[6], t3 = l[3] + l[7];
        return (t0 + t2) + (t1 + t3);
    }

    /// <summary>ggml's kvalues_iq4nl (the 16 non-linear levels of IQ4_NL and IQ4_XS) in both 128-bit halves, for vpshufb.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> Iq4NlTable() => Vector256.Create(
        (sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
}
