using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>32 bytes holding 0x10 where bit i of <paramref name="qh"/> is set (the 5th bit of element i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> HighBits(uint qh)
    {
        // Byte i takes byte i/8 of qh, then is tested against bit i%8.
        var v = Vector256.Create(qh).AsByte();
        var spread = Avx2.Shuffle(v, Vector256.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bits = Vector256.Create(0x8040201008040201UL).AsByte();
        var set = Avx2.CompareEqual(Avx2.And(spread, bits), bits);
        return Avx2.And(set, Vector256.Create((byte)0x10));
    }

    /// <summary>Q5_0 (22 bytes: f16 d, u32 qh, nibbles; value = (n | h<<4 − 16)·d) · Q8 activations.</summary>
    public static float Q5_0(byte* w, Q8Block* a, int blocks)
    {
        float y;
        Q5_0Tokens(w, a, 0, 1, blocks, &y, 1);
        return y;
    }

    /// <summary><see cref="Q5_0"/> for 1–4 tokens (activation rows <paramref name="aStride"/> blocks apart), each block
    /// unpacked once for all of them; every token gets the same operations as alone (batch invariance).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_0Tokens(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q5_0Reference(w, a + (t * aStride), blocks);
            }

            return;
        }

        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        for (int b = 0; b < blocks; b++, w += 22)
        {
            var u = Avx2.Or(Nibbles(w + 6), HighBits(Unsafe.ReadUnaligned<uint>(w + 2)));
            float d = Fp16.ToFloat(*(ushort*)w);
            acc0 = Q5_0Step(acc0, u, d, a + b);
            if (tokens > 1)
            {
                acc1 = Q5_0Step(acc1, u, d, a1 + b);
            }

            if (tokens > 2)
            {
                acc2 = Q5_0Step(acc2, u, d, a2 + b);
            }

            if (tokens > 3)
            {
                acc3 = Q5_0Step(acc3, u, d, a3 + b);
            }
        }

        y[0] = HSum(acc0);
        if (tokens > 1)
        {
            y[yStride] = HSum(acc1);
        }

        if (tokens > 2)
        {
            y[2 * yStride] = HSum(acc2);
        }

        if (tokens > 3)
        {
            y[3 * yStride] = HSum(acc3);
        }
    }

    /// <summary>One token's block: Σ (u − 16)·a as Σ u·a − 16·Σa in int32, then times d·D onto the float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q5_0Step(Vector256<float> acc, Vector256<byte> u, float d, Q8Block* a)
    {
        var dot = DotU8S8(Vector256.CreateScalar(-16 * a->Sum), u, Avx.LoadVector256(a->Q));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d * a->D), acc);
    }

    public static float Q5_0Reference(byte* w, Q8Block* a, int blocks)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 22, a++)
        {
            uint qh = Unsafe.ReadUnaligned<uint>(w + 2);
            byte* q = w + 6;
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                int x0 = ((q[j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10)) - 16;
                int x1 = ((q[j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - 16;
                s += x0 * a->Q[j] + x1 * a->Q[j + 16];
            }

            sum += s * (Fp16.ToFloat(*(ushort*)w) * a->D);
        }

        return sum;
    }

    /// <summary>Q5_1 (24 bytes: f16 d, f16 m, u32 qh, nibbles; value = (n | h<<4)·d + m) · Q8 activations.</summary>
    public static float Q5_1(byte* w, Q8Block* a, int blocks)
    {
        float y;
        Q5_1Tokens(w, a, 0, 1, blocks, &y, 1);
        return y;
    }

    /// <summary><see cref="Q5_1"/> for 1–4 tokens, each block unpacked once for all of them (batch invariant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_1Tokens(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q5_1Reference(w, a + (t * aStride), blocks);
            }

            return;
        }

        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        Q8Block* a1 = a + aStride, a2 = a + (2 * aStride), a3 = a + (3 * aStride);
        for (int b = 0; b < blocks; b++, w += 24)
        {
            var u = Avx2.Or(Nibbles(w + 8), HighBits(Unsafe.ReadUnaligned<uint>(w + 4)));
            float d = Fp16.ToFloat(*(ushort*)w), m = Fp16.ToFloat(*(ushort*)(w + 2));
            acc0 = MinStep(acc0, ref m0, u, d, m, a + b);
            if (tokens > 1)
            {
                acc1 = MinStep(acc1, ref m1, u, d, m, a1 + b);
            }

            if (tokens > 2)
            {
                acc2 = MinStep(acc2, ref m2, u, d, m, a2 + b);
            }

            if (tokens > 3)
            {
                acc3 = MinStep(acc3, ref m3, u, d, m, a3 + b);
            }
        }

        y[0] = HSum(acc0) + m0;
        if (tokens > 1)
        {
            y[yStride] = HSum(acc1) + m1;
        }

        if (tokens > 2)
        {
            y[2 * yStride] = HSum(acc2) + m2;
        }

        if (tokens > 3)
        {
            y[3 * yStride] = HSum(acc3) + m3;
        }
    }

    /// <summary>One token's block of an offset type (Q4_1, Q5_1): Σ u·a in int32 times d·D, and m·D·Σa on the side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MinStep(Vector256<float> acc, ref float mins, Vector256<byte> u, float d, float m, Q8Block* a)
    {
        var dot = DotU8S8(Vector256<int>.Zero, u, Avx.LoadVector256(a->Q));
        mins += m * a->D * a->Sum;
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(d * a->D), acc);
    }

    public static float Q5_1Reference(byte* w, Q8Block* a, int blocks)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, w += 24, a++)
        {
            uint qh = Unsafe.ReadUnaligned<uint>(w + 4);
            byte* q = w + 8;
            int s = 0;
            for (int j = 0; j < 16; j++)
            {
                int x0 = (q[j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10);
                int x1 = (q[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
                s += x0 * a->Q[j] + x1 * a->Q[j + 16];
            }

            sum += s * (Fp16.ToFloat(*(ushort*)w) * a->D) + Fp16.ToFloat(*(ushort*)(w + 2)) * a->D * a->Sum;
        }

        return sum;
    }
}
