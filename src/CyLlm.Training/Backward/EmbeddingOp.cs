using System.Diagnostics;

namespace CyLlm.Training.Backward;

/// <summary>x[t] = E[tokens[t]]; E: [vocab, dim].</summary>
internal static class EmbeddingOp
{
    public static void Forward(float[] table, ReadOnlySpan<int> tokens, float[] x, int dim)
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            Debug.Assert(tokens[t] >= 0 && (tokens[t] + 1) * dim <= table.Length);
            table.AsSpan(tokens[t] * dim, dim).CopyTo(x.AsSpan(t * dim, dim));
        }
    }

    /// <summary>dE[tokens[t]] += dx[t], in token order (deterministic when a token repeats).</summary>
    public static void Backward(float[] dTable, ReadOnlySpan<int> tokens, float[] dx, int dim)
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            var dst = dTable.AsSpan(tokens[t] * dim, dim);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, dx.AsSpan(t * dim, dim), dst);
        }
    }
}
