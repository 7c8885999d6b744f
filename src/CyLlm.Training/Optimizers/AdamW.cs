using System.Diagnostics;
using CyLlm.Training.Model;

namespace CyLlm.Training.Optimizers;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov &amp; Hutter) over a fixed list of parameters. State: first and second
/// moments per element, in the parameters' order, and the step count t (bias correction). Updates run in a fixed
/// element order, so the same gradients always give the same weights.
/// </summary>
public sealed class AdamW
{
    private const int Chunk = 1 << 14;
    private readonly IReadOnlyList<Parameter> _params;
    private readonly Backward.ParallelFor? _par;

    public AdamW(IReadOnlyList<Parameter> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.0f,
        CyLlm.Tensors.Threading.WorkerPool? pool = null)
    {
        _params = parameters;
        _par = pool is null ? null : new Backward.ParallelFor(pool);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        M = parameters.Select(p => new float[p.Length]).ToArray();
        V = parameters.Select(p => new float[p.Length]).ToArray();
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>Updates taken so far.</summary>
    public long Step { get; set; }

    /// <summary>First moments, one array per parameter.</summary>
    public float[][] M { get; }

    /// <summary>Second moments, one array per parameter.</summary>
    public float[][] V { get; }

    public IReadOnlyList<Parameter> Parameters => _params;

    /// <summary>Global L2 norm of all gradients (double accumulation in parameter order).</summary>
    public double GradientNorm()
    {
        double s = 0;
        foreach (var p in _params)
        {
            s += System.Numerics.Tensors.TensorPrimitives.Dot(p.Grad, p.Grad);
        }

        return Math.Sqrt(s);
    }

    /// <summary>One update with learning rate <paramref name="lr"/>; gradients are multiplied by <paramref name="gradScale"/> first (clipping).</summary>
    public void Update(float lr, float gradScale)
    {
        Step++;
        float bc1 = 1f - MathF.Pow(Beta1, Step);
        float bc2 = 1f - MathF.Pow(Beta2, Step);
        for (int pi = 0; pi < _params.Count; pi++)
        {
            var p = _params[pi];
            Debug.Assert(p.Trainable);
            float[] w = p.Data, g = p.Grad, m = M[pi], v = V[pi];
            float decay = p.Decay ? 1f - (lr * WeightDecay) : 1f;
            int chunks = (w.Length + Chunk - 1) / Chunk;
            if (_par is null || chunks == 1)
            {
                for (int ci = 0; ci < chunks; ci++)
                {
                    UpdateChunk(w, g, m, v, ci, lr, gradScale, decay, bc1, bc2);
                }
            }
            else
            {
                _par.Run(chunks, ci => UpdateChunk(w, g, m, v, ci, lr, gradScale, decay, bc1, bc2));
            }

            p.MarkChanged();
        }
    }

    // Elementwise, so chunking (and the thread count) never changes the result.
    private void UpdateChunk(float[] w, float[] g, float[] m, float[] v, int chunk, float lr, float gradScale, float decay, float bc1, float bc2)
    {
        int end = Math.Min((chunk + 1) * Chunk, w.Length);
        for (int i = chunk * Chunk; i < end; i++)
        {
            float gi = g[i] * gradScale;
            m[i] = (Beta1 * m[i]) + ((1 - Beta1) * gi);
            v[i] = (Beta2 * v[i]) + ((1 - Beta2) * gi * gi);
            float mh = m[i] / bc1, vh = v[i] / bc2;
            w[i] = (w[i] * decay) - (lr * mh / (MathF.Sqrt(vh) + Epsilon));
        }
    }
}
