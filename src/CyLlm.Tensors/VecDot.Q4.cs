using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>Low nibbles of 16 bytes as elements 0..15 and high nibbles as 16..31 (ggml's Q4 order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* q)
    {
        // Both halves hold the 16 bytes; the upper half is shifted by 4 and picked by a dword blend, so one
        // mask serves both: 4 instructions instead of 5.
        var v = Avx2.BroadcastVector128ToVector256(q);
        var shifted = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte();
        var both = Avx2.Blend(v.AsInt32(), shifted.AsInt32(), 0xF0).AsByte();
        return Avx2.And(both, Vector256.Create((byte)0x0F));
    }

    /// <summary>Q4_0 (18 bytes: f16 d, 16 bytes of nibbles; value = (n − 8)·d) · Q8 activations.</summary>
    public static float Q4_0(byte* w, Q8Block* a, int blocks)
    {
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            // Two blocks per iteration into independent accumulators: the loop is compute-bound during
            // decode, and two dependency chains keep both vector pipes busy.
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            int b = 0;
            for (; b + 2 <= blocks; b += 2, w += 36, a += 2)
            {
                // Σ (n−8)·q = Σ n·q − 8·Σq: seed lane 0 with the offset term instead of subtracting per byte.
                var dot0 = DotU8S8(Vector256.CreateScalar(-8 * a[0].Sum), Nibbles(w + 2), Avx.LoadVector256(a[0].Q));
                var dot1 = DotU8S8(Vector256.CreateScalar(-8 * a[1].Sum), Nibbles(w + 20), Avx.LoadVector256(a[1].Q));
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a[0].D), acc0);
                acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), Vector256.Create(Fp16.ToFloat(*(ushort*)(w + 18)) * a[1].D), acc1);
            }

            for (; b < blocks; b++, w += 18, a++)
            {
                var dot = DotU8S8(Vector256.CreateScalar(-8 * a->Sum), Nibbles(w + 2), Avx.LoadVector256(a->Q));
                acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc0);
            }

            return HSum(acc0 + acc1);
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
        float y;
        Q4_1Tokens(w, a, 0, 1, blocks, &y, 1);
        return y;
    }

    /// <summary><see cref="Q4_1"/> for 1–4 tokens, each block unpacked once for all of them (batch invariant).</summary>
    public static void Q4_1Tokens(byte* w, Q8Block* a, int aStride, int tokens, int blocks, float* y, nint yStride) =>
        BlockTokens<BlockKernels.Q4_1Kernel>(w, a, aStride, tokens, blocks, y, yStride);

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
