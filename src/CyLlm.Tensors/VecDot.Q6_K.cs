using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> Q6_K super-blocks (210 bytes: u8 ql[128], u8 qh[64], i8 scales[16],
    /// f16 d) · activations quantized by <see cref="ActivationQuantizer.ToQ8K"/>. Each 16-element group has its own
    /// signed scale; the weights are 6-bit q − 32, dotted as unsigned q with 32·Σa subtracted per pair (no int16
    /// saturation: |Σ| ≤ 24,194), all in integer over the super-block (see <see cref="Q4_K"/>).
    /// </summary>
    public static float Q6_K(byte* w, Q8Block* a, int superBlocks)
    {
        float y;
        Q6_KTokens(w, a, 0, 1, superBlocks, &y, 1);
        return y;
    }

    /// <summary><see cref="Q6_K"/> for 1–4 tokens at once: each super-block is unpacked once for all of them, and each
    /// result is bit-identical to its single-token one.</summary>
    public static void Q6_KTokens(byte* w, Q8Block* a, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q6_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        var acc = stackalloc Vector256<float>[4];
        var sumi = stackalloc Vector256<int>[4];
        for (int t = 0; t < 4; t++)
        {
            acc[t] = Vector256<float>.Zero;
        }

        var low = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        var thirtyTwo = Vector256.Create((byte)32);
        for (int sb = 0; sb < superBlocks; sb++, w += 210)
        {
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            for (int t = 0; t < tokens; t++)
            {
                sumi[t] = Vector256<int>.Zero;
            }

            for (int h = 0; h < 2; h++)
            {
                // 128 elements per half: element 32i + l takes nibble (ql[l or l+32], low or high) and bits 2i..2i+1
                // of qh[l] as its bits 4..5.
                var ql0 = Avx.LoadVector256(w + (64 * h));
                var ql1 = Avx.LoadVector256(w + (64 * h) + 32);
                var qh = Avx.LoadVector256(w + 128 + (32 * h)).AsUInt16();
                sbyte* sc = (sbyte*)(w + 192) + (8 * h);
                for (int i = 0; i < 4; i++)
                {
                    var nib = (i & 1) == 0 ? ql0 : ql1;
                    nib = i < 2 ? Avx2.And(nib, low) : Avx2.And(Avx2.ShiftRightLogical(nib.AsUInt16(), 4).AsByte(), low);
                    // Bits 2i..2i+1 of each qh byte moved to 4..5 (16-bit shifts; the mask drops what crossed bytes).
                    var high = i switch
                    {
                        0 => Avx2.ShiftLeftLogical(qh, 4),
                        1 => Avx2.ShiftLeftLogical(qh, 2),
                        2 => qh,
                        _ => Avx2.ShiftRightLogical(qh, 2),
                    };
                    var e = Avx2.Or(nib, Avx2.And(high.AsByte(), bits45));
                    short s0 = sc[2 * i], s1 = sc[(2 * i) + 1];
                    var scales = Vector256.Create(s0, s0, s0, s0, s0, s0, s0, s0, s1, s1, s1, s1, s1, s1, s1, s1);
                    for (int t = 0; t < tokens; t++)
                    {
                        var av = Avx.LoadVector256(a[(t * aStride) + (sb * 8) + (4 * h) + i].Q);
                        var p16 = Avx2.Subtract(Avx2.MultiplyAddAdjacent(e, av), Avx2.MultiplyAddAdjacent(thirtyTwo, av));
                        sumi[t] = Avx2.Add(sumi[t], Avx2.MultiplyAddAdjacent(p16, scales));
                    }
                }
            }

            for (int t = 0; t < tokens; t++)
            {
                acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi[t]), Vector256.Create(d * a[(t * aStride) + (sb * 8)].D), acc[t]);
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            y[t * yStride] = HSum(acc[t]);
        }
    }

    /// <summary>Scalar reference for <see cref="Q6_K"/>.</summary>
    public static float Q6_KReference(byte* w, Q8Block* a, int superBlocks)
    {
        float sum = 0;
        for (int sb = 0; sb < superBlocks; sb++, w += 210, a += 8)
        {
            byte* ql = w;
            byte* qh = w + 128;
            sbyte* sc = (sbyte*)(w + 192);
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            int isum = 0;
            for (int j = 0; j < 8; j++)
            {
                int h = j / 4, i = j % 4;
                for (int l = 0; l < 32; l++)
                {
                    int nib = (ql[(64 * h) + ((i & 1) * 32) + l] >> (i < 2 ? 0 : 4)) & 0xF;
                    int q = nib | (((qh[(32 * h) + l] >> (2 * i)) & 3) << 4);
                    isum += (q - 32) * a[j].Q[l] * sc[(8 * h) + (2 * i) + (l / 16)];
                }
            }

            sum += isum * (d * a->D);
        }

        return sum;
    }
}
