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
    public static float IQ4_NL(byte* w, Q8Block* a, int blocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return IQ4_NLReference(w, a, blocks);
        }

        var table = Iq4NlTable();
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, w += 36, a += 2)
        {
            // |kvalues| ≤ 127 and |a| ≤ 127: the sign trick's pair sums ≤ 2·127·127 fit int16.
            var dot0 = DotS8S8(Avx2.Shuffle(table, Nibbles(w + 2).AsSByte()), Avx.LoadVector256(a[0].Q));
            var dot1 = DotS8S8(Avx2.Shuffle(table, Nibbles(w + 20).AsSByte()), Avx.LoadVector256(a[1].Q));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a[0].D), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), Vector256.Create(Fp16.ToFloat(*(ushort*)(w + 18)) * a[1].D), acc1);
        }

        if (b < blocks)
        {
            var dot = DotS8S8(Avx2.Shuffle(table, Nibbles(w + 2).AsSByte()), Avx.LoadVector256(a->Q));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc0);
        }

        return Fold(acc0 + acc1);
    }

    /// <summary>Scalar reference for <see cref="IQ4_NL"/>: the same integer lanes and float operations, element by element.</summary>
    public static float IQ4_NLReference(byte* w, Q8Block* a, int blocks)
    {
        float* acc = stackalloc float[16];   // block b adds into acc[8·(b mod 2) ..]
        int* lanes = stackalloc int[8];
        new Span<float>(acc, 16).Clear();
        new Span<int>(lanes, 8).Clear();
        var kv = Dequantize.KValuesIq4Nl;
        for (int b = 0; b < blocks; b++, w += 18, a++)
        {
            byte* q = w + 2;
            for (int l = 0; l < 32; l++)
            {
                int n = l < 16 ? q[l] & 0xF : q[l - 16] >> 4;
                lanes[l / 4] += kv[n] * a->Q[l];
            }

            LanesFma(acc + (8 * (b & 1)), lanes, Fp16.ToFloat(*(ushort*)w) * a->D);
        }

        for (int k = 0; k < 8; k++)
        {
            acc[k] += acc[k + 8];
        }

        return Fold8(acc);
    }
}
