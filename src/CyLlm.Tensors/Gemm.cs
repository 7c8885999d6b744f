using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CyLlm.Tensors;

/// <summary>
/// Register-tiled float GEMM micro-kernels: 4 weight rows × 4 tokens (prompt processing) and 4 weight rows × 1 token
/// (decode), both operands contiguous along K. Every output element is summed in the canonical order of
/// <see cref="VecDot.F32"/>, so a token's result is bit-identical whichever kernel computed it and however many
/// tokens shared the step (batch invariance). y layout: token-major with <c>yStride</c> floats per token.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>y[j·yStride + i] = Σk w[i·wStride + k]·x[j·xStride + k] for i, j in 0..3.</summary>
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

    /// <summary>y[i] = Σk w[i·wStride + k]·x[k] for i in 0..3: four independent chains hide the FMA latency in decode.</summary>
    public static void Tile4x1(float* w, nint wStride, float* x, float* y, int cols)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Tile4x1V512(w, wStride, x, y, cols);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Tile4x1V256(w, wStride, x, y, cols);
        }
        else
        {
            for (int i = 0; i < 4; i++)
            {
                y[i] = VecDot.F32(w + (i * wStride), x, cols);
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
        int n16 = cols & ~15;
        for (int k = 0; k < n16; k += 16)
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

        y[0] = VecDot.Tail(w0, x0, n16, cols, VecDot.Fold(a00));
        y[ys] = VecDot.Tail(w0, x1, n16, cols, VecDot.Fold(a01));
        y[2 * ys] = VecDot.Tail(w0, x2, n16, cols, VecDot.Fold(a02));
        y[3 * ys] = VecDot.Tail(w0, x3, n16, cols, VecDot.Fold(a03));
        y[1] = VecDot.Tail(w1, x0, n16, cols, VecDot.Fold(a10));
        y[ys + 1] = VecDot.Tail(w1, x1, n16, cols, VecDot.Fold(a11));
        y[(2 * ys) + 1] = VecDot.Tail(w1, x2, n16, cols, VecDot.Fold(a12));
        y[(3 * ys) + 1] = VecDot.Tail(w1, x3, n16, cols, VecDot.Fold(a13));
        y[2] = VecDot.Tail(w2, x0, n16, cols, VecDot.Fold(a20));
        y[ys + 2] = VecDot.Tail(w2, x1, n16, cols, VecDot.Fold(a21));
        y[(2 * ys) + 2] = VecDot.Tail(w2, x2, n16, cols, VecDot.Fold(a22));
        y[(3 * ys) + 2] = VecDot.Tail(w2, x3, n16, cols, VecDot.Fold(a23));
        y[3] = VecDot.Tail(w3, x0, n16, cols, VecDot.Fold(a30));
        y[ys + 3] = VecDot.Tail(w3, x1, n16, cols, VecDot.Fold(a31));
        y[(2 * ys) + 3] = VecDot.Tail(w3, x2, n16, cols, VecDot.Fold(a32));
        y[(3 * ys) + 3] = VecDot.Tail(w3, x3, n16, cols, VecDot.Fold(a33));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1V512(float* w, nint ws, float* x, float* y, int cols)
    {
        float* w0 = w, w1 = w + ws, w2 = w + (2 * ws), w3 = w + (3 * ws);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int n16 = cols & ~15;
        for (int k = 0; k < n16; k += 16)
        {
            var v = Vector512.Load(x + k);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + k), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + k), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + k), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + k), v, a3);
        }

        y[0] = VecDot.Tail(w0, x, n16, cols, VecDot.Fold(a0));
        y[1] = VecDot.Tail(w1, x, n16, cols, VecDot.Fold(a1));
        y[2] = VecDot.Tail(w2, x, n16, cols, VecDot.Fold(a2));
        y[3] = VecDot.Tail(w3, x, n16, cols, VecDot.Fold(a3));
    }

    /// <summary>
    /// AVX2: the 16 canonical lanes of each of the 16 dots live in two 256-bit halves. 32 accumulators do not fit the
    /// 16 ymm registers, so the low lanes (k mod 16 in 0..7) of all 16 dots are summed over the whole row first, parked
    /// in memory, then the high lanes: the chains are independent, so the order stays canonical, and each pass has the
    /// 2 FMAs per load of a plain 4×4 tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4V256(float* w, nint ws, float* x, nint xs, float* y, nint ys, int cols)
    {
        int n16 = cols & ~15;
        Vector256<float>* lo = stackalloc Vector256<float>[16];
        Pass4x4V256(w, ws, x, xs, n16, 0, lo);
        Vector256<float>* hi = stackalloc Vector256<float>[16];
        Pass4x4V256(w, ws, x, xs, n16, 8, hi);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                y[(j * ys) + i] = VecDot.Tail(w + (i * ws), x + (j * xs), n16, cols, VecDot.Fold(lo[(i * 4) + j] + hi[(i * 4) + j]));
            }
        }
    }

    /// <summary>One pass of <see cref="Tile4x4V256"/>: lanes <paramref name="half"/>..<paramref name="half"/>+7 of every
    /// 16 elements, for 4 rows × 4 tokens, into <paramref name="acc"/>[row·4 + token]. Two rows at a time: 8 accumulators,
    /// 4 token vectors and a weight vector fit AVX2's 16 registers, where 4 rows' 16 accumulators spilled every step
    /// (each accumulator still gets the same FMAs in the same order).</summary>
    private static void Pass4x4V256(float* w, nint ws, float* x, nint xs, int n16, int half, Vector256<float>* acc)
    {
        Pass2x4V256(w, ws, x, xs, n16, half, acc);
        Pass2x4V256(w + (2 * ws), ws, x, xs, n16, half, acc + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass2x4V256(float* w, nint ws, float* x, nint xs, int n16, int half, Vector256<float>* acc)
    {
        float* w0 = w + half, w1 = w + ws + half;
        float* x0 = x + half, x1 = x + xs + half, x2 = x + (2 * xs) + half, x3 = x + (3 * xs) + half;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        for (int k = 0; k < n16; k += 16)
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
        }

        acc[0] = a00;
        acc[1] = a01;
        acc[2] = a02;
        acc[3] = a03;
        acc[4] = a10;
        acc[5] = a11;
        acc[6] = a12;
        acc[7] = a13;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1V256(float* w, nint ws, float* x, float* y, int cols)
    {
        float* w0 = w, w1 = w + ws, w2 = w + (2 * ws), w3 = w + (3 * ws);
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector256<float> h0 = default, h1 = default, h2 = default, h3 = default;
        int n16 = cols & ~15;
        for (int k = 0; k < n16; k += 16)
        {
            var vl = Vector256.Load(x + k);
            var vh = Vector256.Load(x + k + 8);
            l0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), vl, l0);
            h0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k + 8), vh, h0);
            l1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + k), vl, l1);
            h1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + k + 8), vh, h1);
            l2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + k), vl, l2);
            h2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + k + 8), vh, h2);
            l3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + k), vl, l3);
            h3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + k + 8), vh, h3);
        }

        y[0] = VecDot.Tail(w0, x, n16, cols, VecDot.Fold(l0 + h0));
        y[1] = VecDot.Tail(w1, x, n16, cols, VecDot.Fold(l1 + h1));
        y[2] = VecDot.Tail(w2, x, n16, cols, VecDot.Fold(l2 + h2));
        y[3] = VecDot.Tail(w3, x, n16, cols, VecDot.Fold(l3 + h3));
    }
}
