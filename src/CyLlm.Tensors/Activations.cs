using System.Numerics.Tensors;

namespace CyLlm.Tensors;

/// <summary>Element-wise activations used by the Llama FFN.</summary>
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

    public static void SwiGluReference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            double g = gate[i];
            gate[i] = (float)(g / (1 + Math.Exp(-g)) * up[i]);
        }
    }
}
