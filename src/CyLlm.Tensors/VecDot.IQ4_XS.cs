using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> IQ4_XS super-blocks (136 bytes: f16 d, u16 scales_h, u8 scales_l[4],
    /// u8 qs[128]; value = d·(ls − 32)·kvalues[n] per 32 elements, ls 6 bits) · activations quantized by
    /// <see cref="ActivationQuantizer.ToQ8K"/> (as ggml dots IQ4_XS with Q8_K). Integer over the super-block; the same
    /// bits on every ISA level (see <see cref="LanesFma"/>).
    /// </summary>
    public static float IQ4_XS(byte* w, Q8Block* a, int superBlocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return IQ4_XSReference(w, a, superBlocks);
        }

        var table = Iq4NlTable();
        var acc = Vector256<float>.Zero;
        for (int sb = 0; sb < superBlocks; sb++, w += 136, a += 8)
        {
            Vector256<int> sumi = default;
            for (int ib = 0; ib < 8; ib++)
            {
                var wv = Avx2.Shuffle(table, Nibbles(w + 8 + (16 * ib)).AsSByte());
                var av = Avx.LoadVector256(a[ib].Q);
                // Pair sums ≤ 2·127·127 fit int16 (the sign trick); times the 6-bit scale − 32 they fit int32.
                var p16 = Avx2.MultiplyAddAdjacent(Avx2.Abs(wv), Avx2.Sign(av, wv));
                sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p16, Vector256.Create((short)Dequantize.ScaleIQ4XS(w, ib))));
            }

            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(Fp16.ToFloat(*(ushort*)w) * a->D), acc);
        }

        return Fold(acc);
    }

    /// <summary>Scalar reference for <see cref="IQ4_XS"/>: the same integer lanes and float operations, element by element.</summary>
    public static float IQ4_XSReference(byte* w, Q8Block* a, int superBlocks)
    {
        float* acc = stackalloc float[8];
        int* lanes = stackalloc int[8];
        new Span<float>(acc, 8).Clear();
        new Span<int>(lanes, 8).Clear();
        var kv = Dequantize.KValuesIq4Nl;
        for (int sb = 0; sb < superBlocks; sb++, w += 136, a += 8)
        {
            for (int ib = 0; ib < 8; ib++)
            {
                byte* q = w + 8 + (16 * ib);
                int s = Dequantize.ScaleIQ4XS(w, ib);
                for (int l = 0; l < 32; l++)
                {
                    int n = l < 16 ? q[l] & 0xF : q[l - 16] >> 4;
                    lanes[l / 4] += s * kv[n] * a[ib].Q[l];
                }
            }

            LanesFma(acc, lanes, Fp16.ToFloat(*(ushort*)w) * a->D);
        }

        return Fold8(acc);
    }
}
