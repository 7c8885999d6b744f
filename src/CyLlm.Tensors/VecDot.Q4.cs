using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Low nibbles of 16 bytes as elements 0..15 and high nibbles as 16..31 (ggml's Q4 order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(byte* q)
    {
        var raw = Sse2.LoadVector128(q);
        var m = Vector128.Create((byte)0x0F);
        var lo = Sse2.And(raw, m);
        var hi = Sse2.And(Sse2.ShiftRightLogical(raw.AsUInt16(), 4).AsByte(), m);
        return Vector256.Create(lo, hi);
    }

    /// <summary>Q4_0 (18 bytes: f16 d, 16 bytes of nibbles; value = (n − 8)·d) · Q8 activations.</summary>
    public static float Q4_0(byte* w, Q8Block* a, int blocks)
    {
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            for (int b = 0; b < blocks; b++, w += 18, a++)
            {
                // Σ (n−8)·q = Σ n·q − 8·Σq: seed lane 0 with the offset term instead of subtracting per byte.
                var dot = DotU8S8(Vector256.CreateScalar(-8 * a->Sum), Nibbles(w + 2), Avx.LoadVector256(a->Q));
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc);
            }

            return HSum(acc);
        }

        return Q4_0Reference(w, a, blocks);
    }

    public static float Q4_0Reference(byte* w, Q8Block* a, int blocks)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 18, a++)
        {
            byte* q = w + 2;
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                s += ((q[j] & 0x0F) - 8) * a->Q[j] + ((q[j] >> 4) - 8) * a->Q[j + 16];
            }

            sum += s * (Fp16.ToFloat(*(ushort*)w) * a->D);
        }

        return sum;
    }

    /// <summary>Q4_1 (20 bytes: f16 d, f16 m, nibbles; value = n·d + m) · Q8 activations.</summary>
    public static float Q4_1(byte* w, Q8Block* a, int blocks)
    {
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            float mins = 0;
            for (int b = 0; b < blocks; b++, w += 20, a++)
            {
                var dot = DotU8S8(Vector256<int>.Zero, Nibbles(w + 4), Avx.LoadVector256(a->Q));
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc);
                mins += Fp16.ToFloat(*(ushort*)(w + 2)) * a->D * a->Sum;
            }

            return HSum(acc) + mins;
        }

        return Q4_1Reference(w, a, blocks);
    }

    public static float Q4_1Reference(byte* w, Q8Block* a, int blocks)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 20, a++)
        {
            byte* q = w + 4;
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                s += (q[j] & 0x0F) * a->Q[j] + (q[j] >> 4) * a->Q[j + 16];
            }

            sum += s * (Fp16.ToFloat(*(ushort*)w) * a->D) + Fp16.ToFloat(*(ushort*)(w + 2)) * a->D * a->Sum;
        }

        return sum;
    }
}
