using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>
    /// Σ over <paramref name="superBlocks"/> Q6_K super-blocks (210 bytes: u8 ql[128], u8 qh[64], i8 scales[16],
    /// f16 d) · 8 Q8 activation blocks each. Each 16-element group has its own signed scale; the weights are 6-bit
    /// q − 32, dotted as unsigned q with 32·Σa subtracted per pair (no int16 saturation: |Σ| ≤ 24,194).
    /// </summary>
    public static float Q6_K(byte* w, Q8Block* a, int superBlocks)
    {
        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            return Q6_KReference(w, a, superBlocks);
        }

        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        var thirtyTwo = Vector256.Create((byte)32);
        for (int sb = 0; sb < superBlocks; sb++, w += 210, a += 8)
        {
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            for (int h = 0; h < 2; h++)
            {
                // 128 elements per half: ql[64h..], ql[64h+32..], qh[32h..]; element 32i + l of the half takes
                // nibble (ql[l or l+32], low or high) and bits 2i..2i+1 of qh[l] as its bits 4..5.
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
                    Q8Block* ab = a + (4 * h) + i;
                    var av = Avx.LoadVector256(ab->Q);
                    var p16 = Avx2.Subtract(Avx2.MultiplyAddAdjacent(e, av), Avx2.MultiplyAddAdjacent(thirtyTwo, av));
                    short s0 = sc[2 * i], s1 = sc[(2 * i) + 1];
                    var scales = Vector256.Create(s0, s0, s0, s0, s0, s0, s0, s0, s1, s1, s1, s1, s1, s1, s1, s1);
                    var p32 = Avx2.MultiplyAddAdjacent(p16, scales);
                    if ((i & 1) == 0)
                    {
                        acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p32), Vector256.Create(d * ab->D), acc0);
                    }
                    else
                    {
                        acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p32), Vector256.Create(d * ab->D), acc1);
                    }
                }
            }
        }

        return HSum(acc0 + acc1);
    }

    /// <summary>
    /// <see cref="Q6_K"/> for 1–4 tokens at once: each super-block is unpacked once for all of them, and every token's
    /// arithmetic is <see cref="Q6_K"/>'s, so each result is bit-identical to its single-token one.
    /// </summary>
    public static void Q6_KTokens(byte* w, Q8Block* a, int aStride, int tokens, int superBlocks, float* y, nint yStride)
    {
        if (tokens is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "1 to 4 tokens");
        }

        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            for (int t = 0; t < tokens; t++)
            {
                y[t * yStride] = Q6_KReference(w, a + (t * aStride), superBlocks);
            }

            return;
        }

        var acc = stackalloc Vector256<float>[8];   // [token, 2]
        for (int i = 0; i < 8; i++)
        {
            acc[i] = Vector256<float>.Zero;
        }

        var low = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        var thirtyTwo = Vector256.Create((byte)32);
        for (int sb = 0; sb < superBlocks; sb++, w += 210)
        {
            float d = Fp16.ToFloat(*(ushort*)(w + 208));
            for (int h = 0; h < 2; h++)
            {
                var ql0 = Avx.LoadVector256(w + (64 * h));
                var ql1 = Avx.LoadVector256(w + (64 * h) + 32);
                var qh = Avx.LoadVector256(w + 128 + (32 * h)).AsUInt16();
                sbyte* sc = (sbyte*)(w + 192) + (8 * h);
                for (int i = 0; i < 4; i++)
                {
                    var nib = (i & 1) == 0 ? ql0 : ql1;
                    nib = i < 2 ? Avx2.And(nib, low) : Avx2.And(Avx2.ShiftRightLogical(nib.AsUInt16(), 4).AsByte(), low);
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
                    int slot = i & 1;
                    for (int t = 0; t < tokens; t++)
                    {
                        Q8Block* ab = a + (t * aStride) + (sb * 8) + (4 * h) + i;
                        var av = Avx.LoadVector256(ab->Q);
                        var p16 = Avx2.Subtract(Avx2.MultiplyAddAdjacent(e, av), Avx2.MultiplyAddAdjacent(thirtyTwo, av));
                        var p32 = Avx2.MultiplyAddAdjacent(p16, scales);
                        acc[(2 * t) + slot] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p32), Vector256.Create(d * ab->D), acc[(2 * t) + slot]);
                    }
                }
            }
        }

        for (int t = 0; t < tokens; t++)
        {
            y[t * yStride] = HSum(acc[2 * t] + acc[(2 * t) + 1]);
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
            for (int j = 0; j < 8; j++)
            {
                int h = j / 4, i = j % 4;
                int s = 0;
                for (int l = 0; l < 32; l++)
                {
                    int nib = ql[(64 * h) + ((i & 1) * 32) + l] >> (i < 2 ? 0 : 4) & 0xF;
                    int q = nib | (((qh[(32 * h) + l] >> (2 * i)) & 3) << 4);
                    s += (q - 32) * a[j].Q[l] * sc[(8 * h) + (2 * i) + (l / 16)];
                }

                sum += s * (d * a[j].D);
            }
        }

        return sum;
    }
}
