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
    /// The caller guarantees |x| &lt; 2^15 so x·2^112 stays finite.
    /// </summary>
    public static float F16PreScaled(ushort* w, float* xScaled, int n)
    {
        int i = 0;
        float sum = 0;
        if (Avx512F.IsSupported && n >= 32)
        {
            var mask = Vector512.Create(HalfMask);
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var h0 = Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)w + i)), 13).AsUInt32(), mask).AsSingle();
                var h1 = Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)w + i + 16)), 13).AsUInt32(), mask).AsSingle();
                s0 = Avx512F.FusedMultiplyAdd(h0, Avx512F.LoadVector512(xScaled + i), s0);
                s1 = Avx512F.FusedMultiplyAdd(h1, Avx512F.LoadVector512(xScaled + i + 16), s1);
            }

            sum = Vector512.Sum(s0 + s1);
        }
        else if (Avx2.IsSupported && Fma.IsSupported && n >= 16)
        {
            var mask = Vector256.Create(HalfMask);
            var s0 = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var h = Avx2.And(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128((short*)w + i)), 13).AsUInt32(), mask).AsSingle();
                s0 = Fma.MultiplyAdd(h, Avx.LoadVector256(xScaled + i), s0);
            }

            sum = Vector256.Sum(s0);
        }

        for (; i < n; i++)
        {
            sum += Fp16.ToFloat(w[i]) * (xScaled[i] / HalfRebias);
        }

        return sum;
    }

    /// <summary>Largest |x| for which <see cref="F16PreScaled"/> may be used.</summary>
    public const float PreScaleLimit = 32768f;

    /// <summary>The factor <see cref="F16PreScaled"/> expects x multiplied by.</summary>
    public const float PreScale = HalfRebias;

    /// <summary>Σ w[i]·x[i] with <paramref name="w"/> in IEEE half.</summary>
    public static float F16(ushort* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Avx512F.IsSupported && n >= 32)
        {
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                s0 = Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256((short*)w + i)), Avx512F.LoadVector512(x + i), s0);
                s1 = Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256((short*)w + i + 16)), Avx512F.LoadVector512(x + i + 16), s1);
            }

            for (; i + 16 <= n; i += 16)
            {
                s0 = Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256((short*)w + i)), Avx512F.LoadVector512(x + i), s0);
            }

            sum = Vector512.Sum(s0 + s1);
        }
        else if (Avx2.IsSupported && Fma.IsSupported && n >= 16)
        {
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128((short*)w + i)), Avx.LoadVector256(x + i), s0);
                s1 = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128((short*)w + i + 8)), Avx.LoadVector256(x + i + 8), s1);
            }

            sum = Vector256.Sum(s0 + s1);
        }

        for (; i < n; i++)
        {
            sum += Fp16.ToFloat(w[i]) * x[i];
        }

        return sum;
    }

    /// <summary>Σ w[i]·x[i] with <paramref name="w"/> in bfloat16.</summary>
    public static float BF16(ushort* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Avx512F.IsSupported && n >= 16)
        {
            var s0 = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var v = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Avx.LoadVector256(w + i)), 16).AsSingle();
                s0 = Avx512F.FusedMultiplyAdd(v, Avx512F.LoadVector512(x + i), s0);
            }

            sum = Vector512.Sum(s0);
        }
        else if (Avx2.IsSupported && Fma.IsSupported && n >= 8)
        {
            var s0 = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var v = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(w + i)), 16).AsSingle();
                s0 = Fma.MultiplyAdd(v, Avx.LoadVector256(x + i), s0);
            }

            sum = Vector256.Sum(s0);
        }

        for (; i < n; i++)
        {
            sum += Fp16.BF16ToFloat(w[i]) * x[i];
        }

        return sum;
    }
}
