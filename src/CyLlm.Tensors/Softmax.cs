using System.Numerics.Tensors;

namespace CyLlm.Tensors;

/// <summary>
/// x ← exp(x − max x) / Σ exp(x − max x), in place. The maximum and the element-wise steps give the same bits at every
/// vector width; the denominator is summed in the canonical order (<see cref="VecDot.Sum"/>), so attention weights —
/// and with them greedy tokens — do not depend on whether the machine has AVX-512, AVX2 or 128-bit vectors.
/// (<c>TensorPrimitives.SoftMax</c> sums in a width-dependent order and does not subtract the maximum.)
/// </summary>
public static unsafe class Softmax
{
    public static void Apply(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum;
        fixed (float* p = x)
        {
            sum = VecDot.Sum(p, x.Length);
        }

        TensorPrimitives.Divide(x, sum, x);
    }

    /// <summary>
    /// The softmax of x with one more logit, <paramref name="sink"/>, that has no output of its own (gpt-oss's attention
    /// sinks, ggml_soft_max_add_sinks): x ← exp(x − m) / (Σ exp(x − m) + exp(sink − m)) with m = max(max x, sink), so
    /// the weights sum to less than 1. Same bit-stability as <see cref="Apply"/>; an empty x stays empty.
    /// </summary>
    public static void ApplyWithSink(Span<float> x, float sink)
    {
        if (x.IsEmpty)
        {
            return;
        }

        float max = MathF.Max(TensorPrimitives.Max(x), sink);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum;
        fixed (float* p = x)
        {
            sum = VecDot.Sum(p, x.Length);
        }

        sum += MathF.Exp(sink - max);
        TensorPrimitives.Divide(x, sum, x);
    }

    /// <summary>Scalar reference in double precision.</summary>
    public static void Reference(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        double max = double.NegativeInfinity;
        foreach (float v in x)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (float v in x)
        {
            sum += Math.Exp(v - max);
        }

        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(Math.Exp(x[i] - max) / sum);
        }
    }
}
