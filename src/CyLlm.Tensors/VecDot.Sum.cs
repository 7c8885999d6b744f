using System.Runtime.Intrinsics;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ x[i] over <paramref name="n"/> floats in the canonical order of <see cref="F32"/> (16 lane sums of k ≡ l mod 16,
    /// folded 16 → 8 → 4 → 2 → 1, then the tail added in increasing k): the same bits on every ISA level, unlike
    /// <c>TensorPrimitives.Sum</c>, whose order follows the machine's vector width. Softmax denominators use it.
    /// </summary>
    public static float Sum(float* x, int n)
    {
        int n16 = n & ~15;
        float sum;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                s += Vector512.Load(x + k);
            }

            sum = Fold(s);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                lo += Vector256.Load(x + k);
                hi += Vector256.Load(x + k + 8);
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
                q0 += Vector128.Load(x + k);
                q1 += Vector128.Load(x + k + 4);
                q2 += Vector128.Load(x + k + 8);
                q3 += Vector128.Load(x + k + 12);
            }

            sum = Fold((q0 + q2) + (q1 + q3));
        }
        else
        {
            return SumCanonical(x, n);
        }

        for (int k = n16; k < n; k++)
        {
            sum += x[k];
        }

        return sum;
    }

    /// <summary>The canonical order of <see cref="Sum"/> element by element: the reference the vector paths equal bit for bit.</summary>
    public static float SumCanonical(float* x, int n)
    {
        int n16 = n & ~15;
        float* lanes = stackalloc float[16];
        new Span<float>(lanes, 16).Clear();
        for (int k = 0; k < n16; k++)
        {
            lanes[k & 15] += x[k];
        }

        float sum = FoldLanes(lanes);
        for (int k = n16; k < n; k++)
        {
            sum += x[k];
        }

        return sum;
    }
}
