using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    // Half → float without F16C (which .NET does not expose): sign-extend the 16 bits to 32, shift the
    // exponent and mantissa into float position (the sign lands in bit 31, its copies in bits 28..30 are
    // masked off), then multiply by 2^112 to rebias the exponent from 15 to 127. Subnormal halves become
    // exact floats; ±Inf/NaN become large finite values, which weights never hold.
    private const uint HalfMask = 0x8FFFE000;
    private const float HalfRebias = 5.192296858534828e33f; // 2^112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfToSingle(Vector256<short> h)
    {
        var x = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(h), 13);
        var r = Avx512F.And(x.AsUInt32(), Vector512.Create(HalfMask)).AsSingle();
        return Avx512F.Multiply(r, Vector512.Create(HalfRebias));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<short> h)
    {
        var x = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(h), 13);
        var r = Avx2.And(x.AsUInt32(), Vector256.Create(HalfMask)).AsSingle();
        return Avx.Multiply(r, Vector256.Create(HalfRebias));
    }

    /// <summary>
    /// Σ w[i]·x[i] with <paramref name="w"/> in IEEE half and <paramref name="xScaled"/> = x·2^112 (see
    /// <see cref="HalfRebias"/>): the rebias multiply moves out of the inner loop into the one-off scaling of x.
    /// The caller guarantees |x| &lt; 2^15 so x·2^112 stays finite. Bit-identical to <see cref="F16"/>: the masked
    /// half is w·2^-112 exactly, so each product equals w·x exactly and the canonical chain (see
    /// <see cref="F32"/>) sees the same values.
    /// </summary>
    public static float F16PreScaled(ushort* w, float* xScaled, int n)
    {
        int n16 = n & ~15;
        float sum;
        if (Avx512F.IsSupported)
        {
            var mask = Vector512.Create(HalfMask);
            var s = Vector512<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                var h = Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)w + k)), 13).AsUInt32(), mask).AsSingle();
                s = Avx512F.FusedMultiplyAdd(h, Avx512F.LoadVector512(xScaled + k), s);
            }

            sum = Fold(s);
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            var mask = Vector256.Create(HalfMask);
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                var h0 = Avx2.And(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128((short*)w + k)), 13).AsUInt32(), mask).AsSingle();
                var h1 = Avx2.And(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128((short*)w + k + 8)), 13).AsUInt32(), mask).AsSingle();
                lo = Fma.MultiplyAdd(h0, Avx.LoadVector256(xScaled + k), lo);
                hi = Fma.MultiplyAdd(h1, Avx.LoadVector256(xScaled + k + 8), hi);
            }

            sum = Fold(lo + hi);
        }
        else
        {
            return F16Canonical(w, xScaled, n, 1f / HalfRebias);
        }

        for (int k = n16; k < n; k++)
        {
            sum = MathF.FusedMultiplyAdd(Fp16.ToFloat(w[k]), xScaled[k] / HalfRebias, sum);
        }

        return sum;
    }

    /// <summary>Largest |x| for which <see cref="F16PreScaled"/> may be used.</summary>
    public const float PreScaleLimit = 32768f;

    /// <summary>The factor <see cref="F16PreScaled"/> expects x multiplied by.</summary>
    public const float PreScale = HalfRebias;

    /// <summary>Σ w[i]·x[i] with <paramref name="w"/> in IEEE half, in the canonical order of <see cref="F32"/>.</summary>
    public static float F16(ushort* w, float* x, int n)
    {
        int n16 = n & ~15;
        float sum;
        if (Avx512F.IsSupported)
        {
            var s = Vector512<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                s = Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256((short*)w + k)), Avx512F.LoadVector512(x + k), s);
            }

            sum = Fold(s);
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                lo = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128((short*)w + k)), Avx.LoadVector256(x + k), lo);
                hi = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128((short*)w + k + 8)), Avx.LoadVector256(x + k + 8), hi);
            }

            sum = Fold(lo + hi);
        }
        else
        {
            return F16Canonical(w, x, n, 1f);
        }

        for (int k = n16; k < n; k++)
        {
            sum = MathF.FusedMultiplyAdd(Fp16.ToFloat(w[k]), x[k], sum);
        }

        return sum;
    }

    /// <summary>The canonical order for half weights, element by element (x[k]·<paramref name="xScale"/> is exact: a power of two).</summary>
    private static float F16Canonical(ushort* w, float* x, int n, float xScale)
    {
        int n16 = n & ~15;
        float* lanes = stackalloc float[16];
        new Span<float>(lanes, 16).Clear();
        for (int k = 0; k < n16; k++)
        {
            lanes[k & 15] = MathF.FusedMultiplyAdd(Fp16.ToFloat(w[k]), x[k] * xScale, lanes[k & 15]);
        }

        float sum = FoldLanes(lanes);
        for (int k = n16; k < n; k++)
        {
            sum = MathF.FusedMultiplyAdd(Fp16.ToFloat(w[k]), x[k] * xScale, sum);
        }

        return sum;
    }

    /// <summary>Σ w[i]·x[i] with <paramref name="w"/> in bfloat16, in the canonical order of <see cref="F32"/>.</summary>
    public static float BF16(ushort* w, float* x, int n)
    {
        int n16 = n & ~15;
        float sum;
        if (Avx512F.IsSupported)
        {
            var s = Vector512<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                var v = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Avx.LoadVector256(w + k)), 16).AsSingle();
                s = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(x + k), s);
            }

            sum = Fold(s);
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (int k = 0; k < n16; k += 16)
            {
                var v0 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(w + k)), 16).AsSingle();
                var v1 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(w + k + 8)), 16).AsSingle();
                lo = Fma.MultiplyAdd(v0, Avx.LoadVector256(x + k), lo);
                hi = Fma.MultiplyAdd(v1, Avx.LoadVector256(x + k + 8), hi);
            }

            sum = Fold(lo + hi);
        }
        else
        {
            float* lanes = stackalloc float[16];
            new Span<float>(lanes, 16).Clear();
            for (int k = 0; k < n16; k++)
            {
                lanes[k & 15] = MathF.FusedMultiplyAdd(Fp16.BF16ToFloat(w[k]), x[k], lanes[k & 15]);
            }

            sum = FoldLanes(lanes);
        }

        for (int k = n16; k < n; k++)
        {
            sum = MathF.FusedMultiplyAdd(Fp16.BF16ToFloat(w[k]), x[k], sum);
        }

        return sum;
    }
}
