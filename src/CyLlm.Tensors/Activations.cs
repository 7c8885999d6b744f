using System.Numerics.Tensors;

namespace CyLlm.Tensors;

/// <summary>Element-wise activations used by the Llama and Gemma FFNs, and Gemma's soft-capping.</summary>
public static class Activations
{
    /// <summary>gate ← silu(gate) ⊙ up, where silu(g) = g·σ(g). <paramref name="scratch"/> holds σ(g).</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up, Span<float> scratch)
    {
        if (up.Length != gate.Length || scratch.Length < gate.Length)
        {
            throw new ArgumentException("SwiGlu length mismatch");
        }

        if (gate.IsEmpty)
        {
            return;
        }

        var s = scratch[..gate.Length];
        TensorPrimitives.Sigmoid(gate, s);
        TensorPrimitives.Multiply(gate, s, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }

    /// <summary>
    /// gpt-oss's clamped SwiGLU (ggml's swiglu_oai): with g = min(gate, limit) and u = clamp(up, −limit, limit),
    /// gate ← g·σ(alpha·g)·(u + 1). The gate is clamped from above only (a very negative gate already gives ≈ 0), the up
    /// projection on both sides, and the + 1 is part of the trained model. <paramref name="scratch"/> holds σ(alpha·g).
    /// </summary>
    public static void SwiGluClamped(Span<float> gate, ReadOnlySpan<float> up, Span<float> scratch, float alpha, float limit)
    {
        if (up.Length != gate.Length || scratch.Length < gate.Length)
        {
            throw new ArgumentException("SwiGluClamped length mismatch");
        }

        if (gate.IsEmpty)
        {
            return;
        }

        var s = scratch[..gate.Length];
        TensorPrimitives.Min(gate, limit, gate);
        TensorPrimitives.Multiply(gate, alpha, s);
        TensorPrimitives.Sigmoid(s, s);
        TensorPrimitives.Multiply(gate, s, gate);
        // The up factor (clamp(up) + 1) goes through the scratch, which σ no longer needs.
        TensorPrimitives.Clamp(up, -limit, limit, s);
        TensorPrimitives.Add(s, 1f, s);
        TensorPrimitives.Multiply(gate, s, gate);
    }

    /// <summary>Scalar reference of <see cref="SwiGluClamped"/> in double precision, written as ggml's loop.</summary>
    public static void SwiGluClampedReference(Span<float> gate, ReadOnlySpan<float> up, float alpha, float limit)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            double x = Math.Min(gate[i], limit);
            double y = Math.Clamp(up[i], -limit, limit);
            gate[i] = (float)(x / (1 + Math.Exp(alpha * -x)) * (y + 1));
        }
    }

    public static void SwiGluReference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            double g = gate[i];
            gate[i] = (float)(g / (1 + Math.Exp(-g)) * up[i]);
        }
    }

    private const float GeluCoefA = 0.044715f;
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    /// <summary>
    /// gate ← gelu_tanh(gate) ⊙ up (Gemma's GeGLU), with gelu_tanh(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))).
    /// <paramref name="scratch"/> (at least gate's length) holds the tanh term.
    /// </summary>
    public static void GeGlu(Span<float> gate, ReadOnlySpan<float> up, Span<float> scratch)
    {
        if (up.Length != gate.Length || scratch.Length < gate.Length)
        {
            throw new ArgumentException("GeGlu length mismatch");
        }

        if (gate.IsEmpty)
        {
            return;
        }

        var s = scratch[..gate.Length];
        TensorPrimitives.Multiply(gate, gate, s);                    // g²
        TensorPrimitives.Multiply(s, GeluCoefA, s);
        TensorPrimitives.Add(s, 1f, s);                              // 1 + a·g²
        TensorPrimitives.Multiply(s, gate, s);                       // g + a·g³
        TensorPrimitives.Multiply(s, SqrtTwoOverPi, s);
        TensorPrimitives.Tanh(s, s);
        TensorPrimitives.Add(s, 1f, s);
        TensorPrimitives.Multiply(s, gate, s);
        TensorPrimitives.Multiply(s, 0.5f, s);                       // gelu_tanh(g)
        TensorPrimitives.Multiply(s, up, gate);
    }

    /// <summary>Scalar double-precision <see cref="GeGlu"/>, for tests.</summary>
    public static void GeGluReference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            double g = gate[i];
            gate[i] = (float)(0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + (0.044715 * g * g * g)))) * up[i]);
        }
    }

    /// <summary>x ← cap·tanh(x / cap) (Gemma 2's attention-logit and final-logit soft-capping); cap &gt; 0.</summary>
    public static void SoftCap(Span<float> x, float cap)
    {
        TensorPrimitives.Multiply(x, 1f / cap, x);
        TensorPrimitives.Tanh(x, x);
        TensorPrimitives.Multiply(x, cap, x);
    }

    /// <summary>Scalar double-precision <see cref="SoftCap"/>, for tests.</summary>
    public static void SoftCapReference(Span<float> x, float cap)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(cap * Math.Tanh(x[i] / (double)cap));
        }
    }
}
