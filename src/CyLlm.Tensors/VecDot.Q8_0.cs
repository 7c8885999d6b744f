using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Σ over <paramref name="blocks"/> Q8_0 weight blocks (34 bytes: f16 d, i8 q[32]) · Q8 activations.</summary>
    public static float Q8_0(byte* w, Q8Block* a, int blocks)
    {
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            // Two blocks per iteration into independent accumulators (see Q4_0).
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            int b = 0;
            for (; b + 2 <= blocks; b += 2, w += 68, a += 2)
            {
                var dot0 = DotS8S8(Avx.LoadVector256((sbyte*)(w + 2)), Avx.LoadVector256(a[0].Q));
                var dot1 = DotS8S8(Avx.LoadVector256((sbyte*)(w + 36)), Avx.LoadVector256(a[1].Q));
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a[0].D), acc0);
                acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), Vector256.Create(Fp16.ToFloat(*(ushort*)(w + 34)) * a[1].D), acc1);
            }

            for (; b < blocks; b++, w += 34, a++)
            {
                var dot = DotS8S8(Avx.LoadVector256((sbyte*)(w + 2)), Avx.LoadVector256(a->Q));
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc0);
            }

            return HSum(acc0 + acc1);
        }

        return Q8_0Reference(w, a, blocks);
    }

    public static float Q8_0Reference(byte* w, Q8Block* a, int blocks)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 34, a++)
        {
            sbyte* q = (sbyte*)(w + 2);
            int s = 0;
            for (int j = 0; j < 32; j++)
            {
                s += q[j] * a->Q[j];
            }

            sum += s * (Fp16.ToFloat(*(ushort*)w) * a->D);
        }

        return sum;
    }

    /// <summary>8 lanes of int32 partial sums of Σ x[i]·y[i] over 32 signed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotS8S8(Vector256<sbyte> x, Vector256<sbyte> y)
    {
        // The unsigned×signed instructions need an unsigned side: |x| and y with x's sign moved onto it.
        var ax = Avx2.Abs(x);
        var sy = Avx2.Sign(y, x);
        return DotU8S8(Vector256<int>.Zero, ax, sy);
    }

    /// <summary>acc + 8 lanes of int32 partial sums of Σ u[i]·s[i] (u unsigned, s signed bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotU8S8(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        }

        // u ≤ 255 and |s| ≤ 127 could saturate the int16 pair sum only for u > 128 with both pairs at the
        // extremes; every caller passes u ≤ 128 (abs of int8) or u ≤ 31 (4/5-bit quants).
        var p16 = Avx2.MultiplyAddAdjacent(u, s);
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(p16, Vector256.Create((short)1)));
    }
}
