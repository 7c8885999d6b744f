using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>32 bytes holding 0x10 where bit i of <paramref name="qh"/> is set (the 5th bit of element i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> HighBits(uint qh)
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
    public static void Q5_0Tokens(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride) =>
        BlockTokens<BlockKernels.Q5_0Kernel>(w, a, aStride, tokens, blocks, y, yStride);

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
    public static void Q5_1Tokens(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride) =>
        BlockTokens<BlockKernels.Q5_1Kernel>(w, a, aStride, tokens, blocks, y, yStride);

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
