using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> Q3_K super-blocks (110 bytes: u8 hmask[32], u8 qs[64], u8 scales[12],
    /// f16 d; value = d·(s − 32)·(q − 4) per 16 elements, q = 2 low bits | hmask bit · 4) · activations quantized by
    /// <see cref="ActivationQuantizer.ToQ8K"/>. The weights are dotted as unsigned q with 4·Σa subtracted per pair
    /// (as Q6_K's 32), all integer over the super-block; the same bits on every ISA level (see <see cref="LanesFma"/>).
    /// </summary>
    public static float Q3_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return Q3_KReference(w, a, superBlocks);
        }

        var acc = Vector256<float>.Zero;
        var three = Vector256.Create((byte)3);
        var four = Vector256.Create((byte)4);
        int* sc = stackalloc int[16];
        for (int sb = 0; sb < superBlocks; sb++, w += 110, a += 8)
        {
            for (int i = 0; i < 16; i++)
            {
                sc[i] = Dequantize.ScaleQ3K(w + 96, i);
            }

            var hm = Avx.LoadVector256(w);
            Vector256<int> sumi = default;
            for (int h = 0; h < 2; h++)
            {
                // Element l of group g = 4h + j: bits 2j..2j+1 of qs[32h + l], and bit g of hmask[l] as its bit 2.
                var q = Avx.LoadVector256(w + 32 + (32 * h)).AsUInt16();
                for (int j = 0; j < 4; j++, q = Avx2.ShiftRightLogical(q, 2))
                {
                    int g = (4 * h) + j;
                    var bit = Vector256.Create((byte)(1 << g));
                    var e = Avx2.Or(
                        Avx2.And(q.AsByte(), three),
                        Avx2.And(Avx2.CompareEqual(Avx2.And(hm, bit), bit), four));
                    var av = Avx.LoadVector256(a[g].Q);
                    // Σ (e − 4)·a per pair: ≤ 2·7·127 and 2·4·127, no int16 saturation; times 6-bit scales in int32.
                    var p16 = Avx2.Subtract(Avx2.MultiplyAddAdjacent(e, av), Avx2.MultiplyAddAdjacent(four, av));
                    sumi = Avx2.Add(sumi, Avx2.MultiplyAddAdjacent(p16, Halves(sc[2 * g], sc[(2 * g) + 1])));
                }
            }

            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(Fp16.ToFloat(*(ushort*)(w + 108)) * a->D), acc);
        }

        return Fold(acc);
    }

    /// <summary>Scalar reference for <see cref="Q3_K"/>: the same integer lanes and float operations, element by element.</summary>
    public static float Q3_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float* acc = stackalloc float[8];
        int* lanes = stackalloc int[8];
        new Span<float>(acc, 8).Clear();
        new Span<int>(lanes, 8).Clear();
        for (int sb = 0; sb < superBlocks; sb++, w += 110, a += 8)
        {
            for (int g = 0; g < 8; g++)
            {
                byte* q = w + 32 + (32 * (g / 4));
                int shift = 2 * (g % 4);
                for (int l = 0; l < 32; l++)
                {
                    int v = (((q[l] >> shift) & 3) | (((w[l] >> g) & 1) << 2)) - 4;
                    lanes[l / 4] += Dequantize.ScaleQ3K(w + 96, (2 * g) + (l / 16)) * v * a[g].Q[l];
                }
            }

            LanesFma(acc, lanes, Fp16.ToFloat(*(ushort*)(w + 108)) * a->D);
        }

        return Fold8(acc);
    }
}
