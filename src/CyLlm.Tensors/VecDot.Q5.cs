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
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            for (int b = 0; b < blocks; b++, w += 22, a++)
            {
                var u = Avx2.Or(Nibbles(w + 6), HighBits(Unsafe.ReadUnaligned<uint>(w + 2)));
                var dot = DotU8S8(Vector256.CreateScalar(-16 * a->Sum), u, Avx.LoadVector256(a->Q));
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc);
            }

            return HSum(acc);
        }

        return Q5_0Reference(w, a, blocks);
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
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            var acc = Vector256<float>.Zero;
            float mins = 0;
            for (int b = 0; b < blocks; b++, w += 24, a++)
            {
                var u = Avx2.Or(Nibbles(w + 8), HighBits(Unsafe.ReadUnaligned<uint>(w + 4)));
                var dot = DotU8S8(Vector256<int>.Zero, u, Avx.LoadVector256(a->Q));
                acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc);
                mins += Fp16.ToFloat(*(ushort*)(w + 2)) * a->D * a->Sum;
            }

            return HSum(acc) + mins;
        }

        return Q5_1Reference(w, a, blocks);
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
