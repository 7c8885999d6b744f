using System.Diagnostics;
using System.Numerics.Tensors;

namespace CyLlm.Training.Backward;

/// <summary>RMSNorm over rows: y = x · w / sqrt(mean(x²) + eps). x, y: [rows, n]; w: [n]; invRms: [rows] saved for backward.</summary>
internal static class RmsNormOp
{
    public static void Forward(ParallelFor par, float[] x, float[] w, float[] y, float[] invRms, int rows, int n, float eps)
    {
        Debug.Assert(x.Length >= rows * n && y.Length >= rows * n && w.Length == n);
        par.Run(rows, r =>
        {
            var xr = x.AsSpan(r * n, n);
            float ss = TensorPrimitives.Dot(xr, xr);
            float inv = 1f / MathF.Sqrt((ss / n) + eps);
            invRms[r] = inv;
            var yr = y.AsSpan(r * n, n);
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        });
    }

    /// <summary>dx = inv·(dy⊙w) − x·inv³·Σ(dy⊙w⊙x)/n (written or added to dx); dw += Σ_rows dy⊙x·inv when dw is not null.</summary>
    public static void Backward(ParallelFor par, float[] x, float[] w, float[] invRms, float[] dy, float[] dx, float[]? dw, int rows, int n, bool accumulate)
    {
        par.Run(rows, r =>
        {
            var xr = x.AsSpan(r * n, n);
            var dyr = dy.AsSpan(r * n, n);
            var dxr = dx.AsSpan(r * n, n);
            float inv = invRms[r];
            Span<float> g = n <= 4096 ? stackalloc float[n] : new float[n];
            TensorPrimitives.Multiply(dyr, w, g);
            float dot = TensorPrimitives.Dot(g, xr);
            float c = -inv * inv * inv * dot / n;
            if (accumulate)
            {
                for (int i = 0; i < n; i++)
                {
                    dxr[i] += (inv * g[i]) + (c * xr[i]);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    dxr[i] = (inv * g[i]) + (c * xr[i]);
                }
            }
        });
        if (dw is not null)
        {
            // Reduced over rows in row order (single thread per column block) for determinism.
            int blocks = (n + 63) / 64;
            par.Run(blocks, b =>
            {
                int c0 = b * 64, c1 = Math.Min(c0 + 64, n);
                for (int r = 0; r < rows; r++)
                {
                    float inv = invRms[r];
                    int o = r * n;
                    for (int i = c0; i < c1; i++)
                    {
                        dw[i] += dy[o + i] * x[o + i] * inv;
                    }
                }
            });
        }
    }
}
