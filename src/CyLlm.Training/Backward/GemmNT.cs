using System.Diagnostics;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Training.Backward;

/// <summary>
/// C[m, n] (+)= A[m, k] · B[n, k]ᵀ — both operands row-major and contiguous along k, the layout the engine's
/// <see cref="Gemm.Tile4x4"/> micro-kernel wants. Forward (y = x·Wᵀ), input gradient (dx = dy·(Wᵀ)ᵀ with a cached
/// transpose) and weight gradient (dW = dyᵀ·xᵀᵀ) are all this one shape. Work is split into fixed 16×16 blocks of C
/// and every element is computed by exactly one dot product in a fixed order, so results are bit-identical for any
/// thread count (the determinism that resume relies on).
/// </summary>
internal sealed unsafe class GemmNT : IParallelJob
{
    private const int Block = 16;

    private readonly WorkerPool _pool;
    private float* _a, _b, _c;
    private int _m, _n, _k, _blocksN;
    private bool _accumulate;

    public GemmNT(WorkerPool pool) => _pool = pool;

    public WorkerPool Pool => _pool;

    public void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        Debug.Assert(a.Length >= m * k && b.Length >= n * k && c.Length >= m * n);
        if (a.Length < (long)m * k || b.Length < (long)n * k || c.Length < (long)m * n)
        {
            throw new ArgumentException($"GEMM operands too small for [{m}x{k}]·[{n}x{k}]ᵀ");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            _a = pa;
            _b = pb;
            _c = pc;
            _m = m;
            _n = n;
            _k = k;
            _accumulate = accumulate;
            _blocksN = (n + Block - 1) / Block;
            int parts = ((m + Block - 1) / Block) * _blocksN;
            _pool.Run(this, parts);
            _a = _b = _c = null;
        }
    }

    public void Execute(int index, int worker)
    {
        int bm = index / _blocksN, bn = index % _blocksN;
        int m0 = bm * Block, n0 = bn * Block;
        int m1 = Math.Min(m0 + Block, _m), n1 = Math.Min(n0 + Block, _n);
        int k = _k;
        float* tile = stackalloc float[16];
        int i = m0;
        for (; i + 4 <= m1; i += 4)
        {
            int j = n0;
            for (; j + 4 <= n1; j += 4)
            {
                // Tile4x4: tile[jj·4 + ii] = w_ii · x_jj with w = B rows (columns of C), x = A rows.
                Gemm.Tile4x4(_b + ((nint)j * k), k, _a + ((nint)i * k), k, tile, 4, k);
                for (int ii = 0; ii < 4; ii++)
                {
                    float* row = _c + ((nint)(i + ii) * _n) + j;
                    for (int jj = 0; jj < 4; jj++)
                    {
                        row[jj] = _accumulate ? row[jj] + tile[(ii * 4) + jj] : tile[(ii * 4) + jj];
                    }
                }
            }

            for (; j < n1; j++)
            {
                for (int ii = 0; ii < 4; ii++)
                {
                    Dot(i + ii, j);
                }
            }
        }

        for (; i < m1; i++)
        {
            for (int j = n0; j < n1; j++)
            {
                Dot(i, j);
            }
        }
    }

    private void Dot(int i, int j)
    {
        float v = VecDot.F32(_a + ((nint)i * _k), _b + ((nint)j * _k), _k);
        float* c = _c + ((nint)i * _n) + j;
        *c = _accumulate ? *c + v : v;
    }

    /// <summary>dst[c, r] = src[r, c].</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        Debug.Assert(src.Length >= rows * cols && dst.Length >= rows * cols);
        const int T = 32;
        for (int r0 = 0; r0 < rows; r0 += T)
        {
            int r1 = Math.Min(r0 + T, rows);
            for (int c0 = 0; c0 < cols; c0 += T)
            {
                int c1 = Math.Min(c0 + T, cols);
                for (int r = r0; r < r1; r++)
                {
                    for (int c = c0; c < c1; c++)
                    {
                        dst[(c * rows) + r] = src[(r * cols) + c];
                    }
                }
            }
        }
    }
}
