using System.Numerics.Tensors;

namespace CyLlm.Tensors;

/// <summary>y = x / sqrt(mean(x²) + eps) ⊙ weight, per row of length n; the sum of squares in the canonical order.</summary>
public static unsafe class RmsNorm
{
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        if (weight.Length != x.Length || y.Length < x.Length)
        {
            throw new ArgumentException($"RmsNorm length mismatch: x {x.Length}, weight {weight.Length}, y {y.Length}");
        }

        if (x.Length == 0)
        {
            return;
        }

        // The canonical dot order (VecDot.F32), not TensorPrimitives.SumOfSquares, whose order follows the vector
        // width: the norm — and every logit after it — must be the same bits with AVX-512, AVX2 or 128-bit vectors.
        float ss;
        fixed (float* p = x)
        {
            ss = VecDot.F32(p, p, x.Length);
        }

        float scale = 1f / MathF.Sqrt((ss / x.Length) + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y[..x.Length], weight, y);
    }

    /// <summary>Applies <see cref="Apply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, float)"/> to
    /// <paramref name="rows"/> contiguous rows.</summary>
    public static void Rows(float* x, float* weight, float* y, int rows, int n, float eps)
    {
        var w = new ReadOnlySpan<float>(weight, n);
        for (int r = 0; r < rows; r++)
        {
            Apply(new ReadOnlySpan<float>(x + ((nint)r * n), n), w, new Span<float>(y + ((nint)r * n), n), eps);
        }
    }

    /// <summary>Scalar reference in double precision.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        double ss = 0;
        foreach (float v in x)
        {
            ss += (double)v * v;
        }

        double scale = x.Length == 0 ? 0 : 1.0 / Math.Sqrt((ss / x.Length) + eps);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (float)(x[i] * scale * weight[i]);
        }
    }
}
