using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Quant;

/// <summary>Quantizes float activations to <see cref="Q8Block"/>s (symmetric int8 per 32, round to nearest even).</summary>
public static unsafe class ActivationQuantizer
{
    /// <summary>Quantizes <paramref name="n"/> floats (a multiple of 32) into n/32 blocks.</summary>
    public static void ToQ8(float* x, Q8Block* dst, int n)
    {
        Debug.Assert(n % 32 == 0);
        int blocks = n / 32;
        if (Avx512F.IsSupported && Avx512BW.IsSupported)
        {
            for (int b = 0; b < blocks; b++)
            {
                ToQ8Avx512(x + b * 32, dst + b);
            }
        }
        else if (Avx2.IsSupported)
        {
            for (int b = 0; b < blocks; b++)
            {
                ToQ8Avx2(x + b * 32, dst + b);
            }
        }
        else
        {
            for (int b = 0; b < blocks; b++)
            {
                ToQ8Scalar(x + b * 32, dst + b);
            }
        }
    }

    /// <summary>
    /// Quantizes <paramref name="n"/> floats (a multiple of 256) for the K-quant kernels: one scale per 256 elements
    /// (ggml's Q8_K), stored in each of the 8 <see cref="Q8Block"/>s of the super-block with its own Σq, so the kernels
    /// sum integer products over a whole super-block and apply the activation scale once. The scale stays in full
    /// float precision (K-quant weights carry their own f16 scales).
    /// </summary>
    public static void ToQ8K(float* x, Q8Block* dst, int n) => ToQ8K(x, dst, null, n);

    /// <summary>
    /// <see cref="ToQ8K(float*, Q8Block*, int)"/> that also writes, when <paramref name="sums16"/> is not null, the sum of
    /// the quantized values of every 16 elements ([n / 16] int16, ggml's Q8_K bsums; |Σ| ≤ 2,032): the K-quant kernels
    /// fold the sub-block minimums (Q4_K, Q5_K) and Q6_K's −32 offset in through them with one vpmaddwd per super-block.
    /// </summary>
    public static void ToQ8K(float* x, Q8Block* dst, short* sums16, int n)
    {
        if (n % 256 != 0)
        {
            throw new ArgumentException($"K-quant activations come in super-blocks of 256, not {n}");
        }

        for (int sb = 0; sb < n / 256; sb++, x += 256, dst += 8)
        {
            float amax = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x, 256));
            amax = MathF.Abs(amax);
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            for (int b = 0; b < 8; b++)
            {
                Q8Block* o = dst + b;
                int lo, hi;
                if (Avx2.IsSupported)
                {
                    // The same products and round-to-nearest-even conversion as the scalar loop, so every ISA
                    // quantizes to the same bytes.
                    QuantizeAvx2(x + (b * 32), Vector256.Create(id), o->Q, out lo, out hi);
                }
                else
                {
                    lo = 0;
                    hi = 0;
                    for (int j = 0; j < 32; j++)
                    {
                        int q = (int)MathF.Round(x[(b * 32) + j] * id, MidpointRounding.ToEven);
                        o->Q[j] = (sbyte)q;
                        if (j < 16)
                        {
                            lo += q;
                        }
                        else
                        {
                            hi += q;
                        }
                    }
                }

                o->D = d;
                o->Sum = lo + hi;
                if (sums16 != null)
                {
                    sums16[(sb * 16) + (2 * b)] = (short)lo;
                    sums16[(sb * 16) + (2 * b) + 1] = (short)hi;
                }
            }
        }
    }

    /// <summary>The per-16 sums of blocks already quantized by <see cref="ToQ8K(float*, Q8Block*, int)"/> ([blocks · 2] int16).</summary>
    public static void Sums16(Q8Block* blocks, int count, short* sums16)
    {
        for (int b = 0; b < count; b++)
        {
            int lo = 0, hi = 0;
            for (int j = 0; j < 16; j++)
            {
                lo += blocks[b].Q[j];
                hi += blocks[b].Q[j + 16];
            }

            sums16[2 * b] = (short)lo;
            sums16[(2 * b) + 1] = (short)hi;
        }
    }

    /// <summary>32 values times <paramref name="id"/>, rounded to nearest even into int8; the sums of each 16.</summary>
    private static void QuantizeAvx2(float* x, Vector256<float> id, sbyte* q, out int sumLo, out int sumHi)
    {
        var i0 = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(x), id));
        var i1 = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(x + 8), id));
        var i2 = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(x + 16), id));
        var i3 = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(x + 24), id));
        sumLo = Vector256.Sum(Avx2.Add(i0, i1));
        sumHi = Vector256.Sum(Avx2.Add(i2, i3));
        // Pack int32 → int16 → int8; the packs interleave 128-bit lanes, so undo that with a permute.
        var p = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
        Avx2.PermuteVar8x32(p.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte().Store(q);
    }

    internal static void ToQ8Scalar(float* x, Q8Block* dst)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[j]));
        }

        // As ggml: the reciprocal comes from the exact scale, the stored scale is rounded through f16.
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        int sum = 0;
        for (int j = 0; j < 32; j++)
        {
            int q = (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
            dst->Q[j] = (sbyte)q;
            sum += q;
        }

        dst->D = RoundThroughHalf(d);
        dst->Sum = sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RoundThroughHalf(float d) => (float)(Half)d;

    private static void ToQ8Avx2(float* x, Q8Block* dst)
    {
        var v0 = Avx.LoadVector256(x);
        var v1 = Avx.LoadVector256(x + 8);
        var v2 = Avx.LoadVector256(x + 16);
        var v3 = Avx.LoadVector256(x + 24);
        var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        float amax = HorizontalMax(m);
        // As ggml: the reciprocal comes from the exact scale, the stored scale is rounded through f16.
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        var vid = Vector256.Create(id);
        var i0 = Avx.ConvertToVector256Int32(Avx.Multiply(v0, vid));
        var i1 = Avx.ConvertToVector256Int32(Avx.Multiply(v1, vid));
        var i2 = Avx.ConvertToVector256Int32(Avx.Multiply(v2, vid));
        var i3 = Avx.ConvertToVector256Int32(Avx.Multiply(v3, vid));
        var s = Avx2.Add(Avx2.Add(i0, i1), Avx2.Add(i2, i3));
        dst->Sum = Vector256.Sum(s);
        // Pack int32 → int16 → int8; the packs interleave 128-bit lanes, so undo that with a permute.
        var p01 = Avx2.PackSignedSaturate(i0, i1);
        var p23 = Avx2.PackSignedSaturate(i2, i3);
        var p = Avx2.PackSignedSaturate(p01, p23);
        p = Avx2.PermuteVar8x32(p.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte();
        p.Store(dst->Q);
        dst->D = RoundThroughHalf(d);
    }

    private static void ToQ8Avx512(float* x, Q8Block* dst)
    {
        var v0 = Avx512F.LoadVector512(x);
        var v1 = Avx512F.LoadVector512(x + 16);
        var m = Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1));
        float amax = HorizontalMax(Vector256.Max(m.GetLower(), m.GetUpper()));
        // As ggml: the reciprocal comes from the exact scale, the stored scale is rounded through f16.
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        var vid = Vector512.Create(id);
        var i0 = Avx512F.ConvertToVector512Int32(Avx512F.Multiply(v0, vid));
        var i1 = Avx512F.ConvertToVector512Int32(Avx512F.Multiply(v1, vid));
        dst->Sum = Vector512.Sum(Avx512F.Add(i0, i1));
        Avx512F.ConvertToVector128SByteWithSaturation(i0).Store(dst->Q);
        Avx512F.ConvertToVector128SByteWithSaturation(i1).Store(dst->Q + 16);
        dst->D = RoundThroughHalf(d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Sse.Shuffle(m, m, 0b_01_00_11_10));
        m = Vector128.Max(m, Sse.Shuffle(m, m, 0b_10_11_00_01));
        return m.ToScalar();
    }
}
