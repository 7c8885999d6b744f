using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CyLlm.Tensors;

/// <summary>
/// Dot products of one weight row (in its storage type) with float or quantized activations. Each type has
/// vector paths (Vector512 / Vector256 with VNNI where present) and a scalar reference.
/// </summary>
/// <remarks>
/// Every float dot product (F32, F16, BF16, and the float GEMM tiles in <see cref="Gemm"/>) sums in one
/// <b>canonical order</b>, so a token's result never depends on how many tokens share the call, which kernel
/// (row dot, 4×1 or 4×4 tile) computed it, or the machine's vector width:
/// <list type="number">
/// <item>16 lane sums: lane l is a fused multiply-add chain over a[k]·b[k] for k ≡ l (mod 16), k &lt; n − n mod 16,
/// in increasing k, starting from +0;</item>
/// <item>the lanes are folded pairwise, 16 → 8 → 4 → 2 → 1, lane i with lane i + half;</item>
/// <item>the n mod 16 tail elements are fused-multiply-added onto that sum in increasing k.</item>
/// </list>
/// AVX-512 holds the 16 lanes in one register, AVX2 in two, SSE/AdvSimd in four, the scalar path in 16 floats.
/// </remarks>
public static unsafe partial class VecDot
{
    /// <summary>Σ a[i]·b[i] over <paramref name="n"/> floats, in the canonical order.</summary>
    public static float F32(float* a, float* b, int n)
    {
        int n16 = n & ~15;
        float sum;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                s = Vector512.FusedMultiplyAdd(Vector512.Load(a + k), Vector512.Load(b + k), s);
            }

            sum = Fold(s);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                lo = Vector256.FusedMultiplyAdd(Vector256.Load(a + k), Vector256.Load(b + k), lo);
                hi = Vector256.FusedMultiplyAdd(Vector256.Load(a + k + 8), Vector256.Load(b + k + 8), hi);
            }

            sum = Fold(lo + hi);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var q0 = Vector128<float>.Zero;
            var q1 = Vector128<float>.Zero;
            var q2 = Vector128<float>.Zero;
            var q3 = Vector128<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                q0 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k), Vector128.Load(b + k), q0);
                q1 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k + 4), Vector128.Load(b + k + 4), q1);
                q2 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k + 8), Vector128.Load(b + k + 8), q2);
                q3 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k + 12), Vector128.Load(b + k + 12), q3);
            }

            sum = Fold((q0 + q2) + (q1 + q3));
        }
        else
        {
            sum = F32Canonical(a, b, n16);
        }

        return Tail(a, b, n16, n, sum);
    }

    /// <summary>The canonical order written out element by element: the reference every vector path must equal bit for bit.</summary>
    public static float F32Canonical(float* a, float* b, int n)
    {
        int n16 = n & ~15;
        float* lanes = stackalloc float[16];
        new Span<float>(lanes, 16).Clear();
        for (int k = 0; k < n16; k++)
        {
            lanes[k & 15] = MathF.FusedMultiplyAdd(a[k], b[k], lanes[k & 15]);
        }

        return Tail(a, b, n16, n, FoldLanes(lanes));
    }

    /// <summary>Step 2 of the canonical order over 16 lanes in memory (overwrites them).</summary>
    internal static float FoldLanes(float* lanes)
    {
        for (int half = 8; half >= 1; half >>= 1)
        {
            for (int i = 0; i < half; i++)
            {
                lanes[i] += lanes[i + half];
            }
        }

        return lanes[0];
    }

    /// <summary>Scalar reference for <see cref="F32"/> (double accumulation for test comparisons).</summary>
    public static double F32Reference(float* a, float* b, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }

    /// <summary>Step 2 of the canonical order for 16 lanes in one register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Fold(Vector512<float> s) => Fold(s.GetLower() + s.GetUpper());

    /// <summary>Step 2 from 8 lanes (lane i already holds lanes i + i+8 of the 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Fold(Vector256<float> s) => Fold(s.GetLower() + s.GetUpper());

    /// <summary>Step 2 from 4 lanes: (l0 + l2) + (l1 + l3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Fold(Vector128<float> s) => (s.GetElement(0) + s.GetElement(2)) + (s.GetElement(1) + s.GetElement(3));

    /// <summary>Step 3 of the canonical order: elements [from, n) fused-multiply-added onto <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Tail(float* a, float* b, int from, int n, float sum)
    {
        for (int k = from; k < n; k++)
        {
            sum = MathF.FusedMultiplyAdd(a[k], b[k], sum);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HSum(Vector256<float> v) => Vector256.Sum(v);
}
