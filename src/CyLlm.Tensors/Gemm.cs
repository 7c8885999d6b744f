using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CyLlm.Tensors;

/// <summary>
/// Register-tiled float GEMM micro-kernel for prompt processing: a 4×4 tile of dot products
/// (4 weight rows × 4 token rows, both contiguous along K) accumulated in 16 vector registers, so each
/// loaded vector feeds four FMAs. y[t][r] layout: token-major with <c>yStride</c> floats per token.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>y[(t0+j)·yStride + r0+i] = Σk w[i·wStride + k]·x[j·xStride + k] for i, j in 0..3.</summary>
    public static void Tile4x4(float* w, nint wStride, float* x, nint xStride, float* y, nint yStride, int cols)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Tile4x4V512(w, wStride, x, xStride, y, yStride, cols);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Tile4x4V256(w, wStride, x, xStride, y, yStride, cols);
        }
        else
        {
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    y[(j * yStride) + i] = VecDot.F32(w + (i * wStride), x + (j * xStride), cols);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4V512(float* w, nint ws, float* x, nint xs, float* y, nint ys, int cols)
    {
        float* w0 = w, w1 = w + ws, w2 = w + (2 * ws), w3 = w + (3 * ws);
        float* x0 = x, x1 = x + xs, x2 = x + (2 * xs), x3 = x + (3 * xs);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int k = 0;
        for (; k + 16 <= cols; k += 16)
        {
            var v0 = Vector512.Load(x0 + k);
            var v1 = Vector512.Load(x1 + k);
            var v2 = Vector512.Load(x2 + k);
            var v3 = Vector512.Load(x3 + k);
            var u = Vector512.Load(w0 + k);
            a00 = Vector512.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u, v2, a02);
            a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
            u = Vector512.Load(w1 + k);
            a10 = Vector512.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u, v2, a12);
            a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
            u = Vector512.Load(w2 + k);
            a20 = Vector512.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(u, v2, a22);
            a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
            u = Vector512.Load(w3 + k);
            a30 = Vector512.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(u, v2, a32);
            a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
        }

        y[0] = Vector512.Sum(a00) + Tail(w0, x0, k, cols);
        y[ys] = Vector512.Sum(a01) + Tail(w0, x1, k, cols);
        y[2 * ys] = Vector512.Sum(a02) + Tail(w0, x2, k, cols);
        y[3 * ys] = Vector512.Sum(a03) + Tail(w0, x3, k, cols);
        y[1] = Vector512.Sum(a10) + Tail(w1, x0, k, cols);
        y[ys + 1] = Vector512.Sum(a11) + Tail(w1, x1, k, cols);
        y[(2 * ys) + 1] = Vector512.Sum(a12) + Tail(w1, x2, k, cols);
        y[(3 * ys) + 1] = Vector512.Sum(a13) + Tail(w1, x3, k, cols);
        y[2] = Vector512.Sum(a20) + Tail(w2, x0, k, cols);
        y[ys + 2] = Vector512.Sum(a21) + Tail(w2, x1, k, cols);
        y[(2 * ys) + 2] = Vector512.Sum(a22) + Tail(w2, x2, k, cols);
        y[(3 * ys) + 2] = Vector512.Sum(a23) + Tail(w2, x3, k, cols);
        y[3] = Vector512.Sum(a30) + Tail(w3, x0, k, cols);
        y[ys + 3] = Vector512.Sum(a31) + Tail(w3, x1, k, cols);
        y[(2 * ys) + 3] = Vector512.Sum(a32) + Tail(w3, x2, k, cols);
        y[(3 * ys) + 3] = Vector512.Sum(a33) + Tail(w3, x3, k, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4V256(float* w, nint ws, float* x, nint xs, float* y, nint ys, int cols)
    {
        float* w0 = w, w1 = w + ws, w2 = w + (2 * ws), w3 = w + (3 * ws);
        float* x0 = x, x1 = x + xs, x2 = x + (2 * xs), x3 = x + (3 * xs);
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int k = 0;
        for (; k + 8 <= cols; k += 8)
        {
            var v0 = Vector256.Load(x0 + k);
            var v1 = Vector256.Load(x1 + k);
            var v2 = Vector256.Load(x2 + k);
            var v3 = Vector256.Load(x3 + k);
            var u = Vector256.Load(w0 + k);
            a00 = Vector256.FusedMultiplyAdd(u, v0, a00);
            a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector256.FusedMultiplyAdd(u, v2, a02);
            a03 = Vector256.FusedMultiplyAdd(u, v3, a03);
            u = Vector256.Load(w1 + k);
            a10 = Vector256.FusedMultiplyAdd(u, v0, a10);
            a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector256.FusedMultiplyAdd(u, v2, a12);
            a13 = Vector256.FusedMultiplyAdd(u, v3, a13);
            u = Vector256.Load(w2 + k);
            a20 = Vector256.FusedMultiplyAdd(u, v0, a20);
            a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector256.FusedMultiplyAdd(u, v2, a22);
            a23 = Vector256.FusedMultiplyAdd(u, v3, a23);
            u = Vector256.Load(w3 + k);
            a30 = Vector256.FusedMultiplyAdd(u, v0, a30);
            a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector256.FusedMultiplyAdd(u, v2, a32);
            a33 = Vector256.FusedMultiplyAdd(u, v3, a33);
        }

        y[0] = Vector256.Sum(a00) + Tail(w0, x0, k, cols);
        y[ys] = Vector256.Sum(a01) + Tail(w0, x1, k, cols);
        y[2 * ys] = Vector256.Sum(a02) + Tail(w0, x2, k, cols);
        y[3 * ys] = Vector256.Sum(a03) + Tail(w0, x3, k, cols);
        y[1] = Vector256.Sum(a10) + Tail(w1, x0, k, cols);
        y[ys + 1] = Vector256.Sum(a11) + Tail(w1, x1, k, cols);
        y[(2 * ys) + 1] = Vector256.Sum(a12) + Tail(w1, x2, k, cols);
        y[(3 * ys) + 1] = Vector256.Sum(a13) + Tail(w1, x3, k, cols);
        y[2] = Vector256.Sum(a20) + Tail(w2, x0, k, cols);
        y[ys + 2] = Vector256.Sum(a21) + Tail(w2, x1, k, cols);
        y[(2 * ys) + 2] = Vector256.Sum(a22) + Tail(w2, x2, k, cols);
        y[(3 * ys) + 2] = Vector256.Sum(a23) + Tail(w2, x3, k, cols);
        y[3] = Vector256.Sum(a30) + Tail(w3, x0, k, cols);
        y[ys + 3] = Vector256.Sum(a31) + Tail(w3, x1, k, cols);
        y[(2 * ys) + 3] = Vector256.Sum(a32) + Tail(w3, x2, k, cols);
        y[(3 * ys) + 3] = Vector256.Sum(a33) + Tail(w3, x3, k, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* a, float* b, int k, int cols)
    {
        float s = 0;
        for (; k < cols; k++)
        {
            s += a[k] * b[k];
        }

        return s;
    }
}
