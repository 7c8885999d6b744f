using System.Diagnostics;
using CyLlm.Tensors.Threading;

namespace CyLlm.Training.Backward;

/// <summary>The thread pool, GEMM and parallel-for shared by every op of one model, plus growable scratch buffers.</summary>
internal sealed class TrainContext
{
    private readonly float[][] _scratch = new float[6][];

    public TrainContext(WorkerPool pool)
    {
        Pool = pool;
        Gemm = new GemmNT(pool);
        Par = new ParallelFor(pool);
    }

    public WorkerPool Pool { get; }
    public GemmNT Gemm { get; }
    public ParallelFor Par { get; }

    /// <summary>dst[c, r] = src[r, c] (src [rows, cols], dst [cols, rows]), split over the pool in bands of 16 source rows; a pure copy, so thread-count independent.</summary>
    public unsafe void Transpose(float[] src, float[] dst, int rows, int cols)
    {
        Debug.Assert(src.Length >= (long)rows * cols && dst.Length >= (long)rows * cols);
        if (src.Length < (long)rows * cols || dst.Length < (long)rows * cols)
        {
            throw new ArgumentException($"transpose buffers are smaller than [{rows}x{cols}]");
        }

        if ((long)rows * cols < 1 << 14)
        {
            GemmNT.Transpose(src, dst, rows, cols);
            return;
        }

        const int T = 16;
        Par.Run((rows + T - 1) / T, band =>
        {
            int r0 = band * T, r1 = Math.Min(r0 + T, rows);
            fixed (float* ps = src, pd = dst)
            {
                for (int c0 = 0; c0 < cols; c0 += T)
                {
                    int c1 = Math.Min(c0 + T, cols);
                    for (int c = c0; c < c1; c++)
                    {
                        // One destination row segment (contiguous) per source column: reads stride, writes stream.
                        float* d = pd + ((nint)c * rows);
                        float* s = ps + c;
                        for (int r = r0; r < r1; r++)
                        {
                            d[r] = s[(nint)r * cols];
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// dst[j, c] += scale · Σ_t coef[t, j] · data[t, c] for a small j range (LoRA rank): coef [rows, k], data [rows, n],
    /// dst [k, n]. Row-by-row axpys over column chunks avoid transposing the big operand; each chunk of columns is one
    /// part summed in row order, so results do not depend on the thread count.
    /// </summary>
    public void AccumulateOuter(float[] coef, float scale, float[] data, float[] dst, int rows, int k, int n)
    {
        const int C = 256;
        Par.Run((n + C - 1) / C, chunk =>
        {
            int c0 = chunk * C, len = Math.Min(C, n - c0);
            for (int t = 0; t < rows; t++)
            {
                var src = data.AsSpan((t * n) + c0, len);
                for (int j = 0; j < k; j++)
                {
                    float a = coef[(t * k) + j] * scale;
                    if (a != 0)
                    {
                        var d = dst.AsSpan((j * n) + c0, len);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(src, a, d, d);
                    }
                }
            }
        });
    }

    /// <summary>
    /// dst[t, :] (+)= Σ_j coef[t, j] · basis[j, :] for a small k (LoRA rank): coef [rows, k], basis [k, n], dst [rows, n].
    /// The product of a tall matrix with a rank-k one as k axpys per row, parallel over rows.
    /// </summary>
    public void RowCombination(float[] coef, float[] basis, float[] dst, int rows, int k, int n, bool accumulate)
    {
        Par.Run(rows, t =>
        {
            var d = dst.AsSpan(t * n, n);
            if (!accumulate)
            {
                d.Clear();
            }

            for (int j = 0; j < k; j++)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(basis.AsSpan(j * n, n), coef[(t * k) + j], d, d);
            }
        });
    }

    /// <summary>Scratch slot <paramref name="slot"/> (0..5) with at least <paramref name="size"/> floats; contents undefined.</summary>
    public float[] Scratch(int slot, long size)
    {
        var s = _scratch[slot];
        if (s is null || s.Length < size)
        {
            s = new float[Math.Max(size, (s?.Length ?? 0) * 5 / 4)];
            _scratch[slot] = s;
        }

        return s;
    }
}
