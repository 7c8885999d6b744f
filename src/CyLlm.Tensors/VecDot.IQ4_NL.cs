using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="blocks"/> IQ4_NL blocks (18 bytes: f16 d, 16 bytes of nibbles; value = d·kvalues[n],
    /// low nibbles elements 0–15, high 16–31) · activations quantized by <see cref="ActivationQuantizer.ToQ8"/> (per 32,
    /// as ggml dots IQ4_NL with Q8_0). The nibbles are looked up with vpshufb; even and odd blocks go to two float
    /// accumulators; the same bits on every ISA level (see <see cref="LanesFma"/>).
    /// </summary>
    public static float IQ4_NL(byte* w, Q8Block* a, int blocks) => NibbleLevelDot(w, a, blocks, mx: false);

    /// <summary>Scalar reference for <see cref="IQ4_NL"/>: the same integer lanes and float operations, element by element.</summary>
    public static float IQ4_NLReference(byte* w, Q8Block* a, int blocks) => NibbleLevelDotReference(w, a, blocks, mx: false);

    /// <summary>32-element blocks of 16 nibble bytes indexing 16 levels: IQ4_NL (f16 scale, 18 bytes) or, with
    /// <paramref name="mx"/>, MXFP4 (E8M0 scale, 17 bytes).</summary>
    private static float NibbleLevelDot(byte* w, Q8Block* a, int blocks, bool mx)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return NibbleLevelDotReference(w, a, blocks, mx);
        }

        var table = mx ? Mxfp4Table() : Iq4NlTable();
        int bytes = mx ? 17 : 18, q = mx ? 1 : 2;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * bytes, a += 2)
        {
            // |levels| ≤ 127 and |a| ≤ 127: the sign trick's pair sums ≤ 2·127·127 fit int16.
            var dot0 = DotS8S8(Avx2.Shuffle(table, Nibbles(w + q).AsSByte()), Avx.LoadVector256(a[0].Q));
            var dot1 = DotS8S8(Avx2.Shuffle(table, Nibbles(w + bytes + q).AsSByte()), Avx.LoadVector256(a[1].Q));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), Vector256.Create(BlockScale(w, mx) * a[0].D), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), Vector256.Create(BlockScale(w + bytes, mx) * a[1].D), acc1);
        }

        if (b < blocks)
        {
            var dot = DotS8S8(Avx2.Shuffle(table, Nibbles(w + q).AsSByte()), Avx.LoadVector256(a->Q));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(BlockScale(w, mx) * a->D), acc0);
        }

        return Fold(acc0 + acc1);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static float BlockScale(byte* w, bool mx) => mx ? Dequantize.E8M0Half(*w) : Fp16.ToFloat(*(ushort*)w);

    private static float NibbleLevelDotReference(byte* w, Q8Block* a, int blocks, bool mx)
    {
        float* acc = stackalloc float[16];   // block b adds into acc[8·(b mod 2) ..]
        int* lanes = stackalloc int[8];
        new Span<float>(acc, 16).Clear();
        new Span<int>(lanes, 8).Clear();
        var kv = mx ? Dequantize.KValuesMxfp4 : Dequantize.KValuesIq4Nl;
        int bytes = mx ? 17 : 18;
        for (int b = 0; b < blocks; b++, w += bytes, a++)
        {
            byte* q = w + (mx ? 1 : 2);
            for (int l = 0; l < 32; l++)
            {
                int n = l < 16 ? q[l] & 0xF : q[l - 16] >> 4;
                lanes[l / 4] += kv[n] * a->Q[l];
            }

            LanesFma(acc + (8 * (b & 1)), lanes, BlockScale(w, mx) * a->D);
        }

        for (int k = 0; k < 8; k++)
        {
            acc[k] += acc[k + 8];
        }

        return Fold8(acc);
    }
}
