using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> Q2_K super-blocks (84 bytes: u8 scales[16], u8 qs[64], f16 d, f16 dmin;
    /// value = d·(sc &amp; 15)·q − dmin·(sc &gt;&gt; 4) per 16 elements, q 2 bits) · activations quantized by
    /// <see cref="ActivationQuantizer.ToQ8K"/>. The scaled products and the minimums' Σ m·Σa (per 16 elements, so
    /// from the activations themselves, not the per-32 Σq) stay integer over the super-block; the same bits on every
    /// ISA level (see <see cref="LanesFma"/>).
    /// </summary>
    public static float Q2_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return Q2_KReference(w, a, superBlocks);
        }

        var acc = Vector256<float>.Zero;
        var three = Vector256.Create((byte)3);
        var ones = Vector256.Create((byte)1);
        float mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 84, a += 8)
        {
            Vector256<int> sumi = default, summ = default;
            for (int h = 0; h < 2; h++)
            {
                // Element l of group 4h + j is bits 2j..2j+1 of qs[32h + l].
                var q = Avx.LoadVector256(w + 16 + (32 * h)).AsUInt16();
                for (int j = 0; j < 4; j++, q = Avx2.ShiftRightLogical(q, 2))
                {
                    int g = (4 * h) + j;
                    var e = Avx2.And(q.AsByte(), three);
                    byte s0 = w[2 * g], s1 = w[(2 * g) + 1];
                    var av = Avx.LoadVector256(a[g].Q);
                    // Pair sums ≤ 2·3·127 and 2·127 fit int16; times 4-bit scales and mins they fit int32.
                    sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(e, av), Halves(s0 & 0xF, s1 & 0xF)));
                    summ = Avx2.Add(summ, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ones, av), Halves(s0 >> 4, s1 >> 4)));
                }
            }

            float da = Fp16.ToFloat(*(ushort*)(w + 80)) * a->D;
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(da), acc);
            mins += Fp16.ToFloat(*(ushort*)(w + 82)) * a->D * Vector256.Sum(summ);
        }

        return Fold(acc) - mins;
    }

    /// <summary>16-bit lanes 0–7 (elements 0–15 of a group, as pairs) = <paramref name="lo"/>, 8–15 = <paramref name="hi"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Halves(int lo, int hi) =>
        Vector256.Create(Vector128.Create((short)lo), Vector128.Create((short)hi));

    /// <summary>Scalar reference for <see cref="Q2_K"/>: the same integer lanes and float operations, element by element.</summary>
    public static float Q2_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float* acc = stackalloc float[8];
        int* lanes = stackalloc int[8];
        new Span<float>(acc, 8).Clear();
        new Span<int>(lanes, 8).Clear();
        float mins = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 84, a += 8)
        {
            int m = 0;
            for (int g = 0; g < 8; g++)
            {
                byte* q = w + 16 + (32 * (g / 4));
                int shift = 2 * (g % 4);
                for (int l = 0; l < 32; l++)
                {
                    int sc = w[(2 * g) + (l / 16)];
                    int x = a[g].Q[l];
                    lanes[l / 4] += (sc & 0xF) * ((q[l] >> shift) & 3) * x;
                    m += (sc >> 4) * x;
                }
            }

            LanesFma(acc, lanes, Fp16.ToFloat(*(ushort*)(w + 80)) * a->D);
            mins += Fp16.ToFloat(*(ushort*)(w + 82)) * a->D * m;
        }

        return Fold8(acc) - mins;
    }
}
