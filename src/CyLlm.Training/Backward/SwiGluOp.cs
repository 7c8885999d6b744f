namespace CyLlm.Training.Backward;

/// <summary>h = silu(g) ⊙ u, elementwise over [count] (rows × hidden flattened).</summary>
internal static class SwiGluOp
{
    private const int Chunk = 4096;

    public static void Forward(ParallelFor par, float[] g, float[] u, float[] h, int count)
    {
        par.Run((count + Chunk - 1) / Chunk, b =>
        {
            int e = Math.Min((b + 1) * Chunk, count);
            for (int i = b * Chunk; i < e; i++)
            {
                float s = 1f / (1f + MathF.Exp(-g[i]));
                h[i] = g[i] * s * u[i];
            }
        });
    }

    /// <summary>dg = dh·u·σ(g)·(1 + g·(1 − σ(g))); du = dh·silu(g). Both written (not added).</summary>
    public static void Backward(ParallelFor par, float[] g, float[] u, float[] dh, float[] dg, float[] du, int count)
    {
        par.Run((count + Chunk - 1) / Chunk, b =>
        {
            int e = Math.Min((b + 1) * Chunk, count);
            for (int i = b * Chunk; i < e; i++)
            {
                float x = g[i];
                float s = 1f / (1f + MathF.Exp(-x));
                float d = dh[i];
                du[i] = d * x * s;
                dg[i] = d * u[i] * s * (1f + (x * (1f - s)));
            }
        });
    }
}
