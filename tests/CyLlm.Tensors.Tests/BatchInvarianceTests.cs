using System.Runtime.InteropServices;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// Batch invariance (DEVELOPERS.md, serving-core issue): a token's matmul outputs are bit-identical whether it is
/// computed alone or with any number of other tokens in the step, for every weight type, packed or not, on whatever
/// ISA level the process runs (CI repeats this with AVX-512 and with all intrinsics off). Greedy decoding through the
/// serving engine then cannot depend on its batch neighbours or on chunked-prefill boundaries.
/// </summary>
public unsafe class BatchInvarianceTests
{
    private static readonly WorkerPool Pool = new(2);

    public static TheoryData<GgmlType, bool, int> TypesAndPacking()
    {
        var data = new TheoryData<GgmlType, bool, int>();
        // Widths of the synthetic models' matrices (256: Qwen3-tiny's dim; 512; 768: the small benchmark model's dim).
        foreach (int cols in new[] { 256, 512, 768 })
        {
            foreach (var t in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4 })
            {
                data.Add(t, false, cols);
            }

            data.Add(GgmlType.Q8_0, true, cols);
            data.Add(GgmlType.Q4_0, true, cols);
            data.Add(GgmlType.Q4_K, true, cols);
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(TypesAndPacking))]
    public void Each_tokens_outputs_equal_its_outputs_alone_for_every_batch_size(GgmlType type, bool packed, int cols)
    {
        // 35 rows: not a multiple of 4 or 16, so partial row groups are exercised; whole K super-blocks of columns.
        int rows = packed ? 48 : 35;
        var rng = new Random(((int)type * 31) + (packed ? 1 : 0) + cols);
        var w = QuantTestData.RandomRow(type, rows * cols, rng);
        const int maxTokens = 21;
        var x = QuantTestData.RandomFloats(maxTokens * cols, rng, range: 3);
        fixed (byte* pw = w)
        fixed (float* px = x)
        {
            byte* pk = packed ? RowPacking.TryRepack(type, pw, rows, cols) : null;
            // This CPU has no packed kernel for the type: report skipped (the unpacked case still runs).
            Skip.If(packed && pk == null, $"no packed {type} kernel on this CPU");

            try
            {
                var m = new QuantMatrix(type, rows, cols, pw) { Packed = pk };
                using var mm = new MatMul(Pool);
                var alone = new float[maxTokens * rows];
                fixed (float* pa = alone)
                {
                    for (int t = 0; t < maxTokens; t++)
                    {
                        mm.Run(in m, px + (t * cols), 1, pa + (t * rows));
                    }
                }

                foreach (int tokens in new[] { 2, 3, 4, 5, 7, 8, 13, 16, 17, 21 })
                {
                    var y = new float[tokens * rows];
                    fixed (float* py = y)
                    {
                        // Start at an offset so the batch's tokens are not always the first ones.
                        int first = maxTokens - tokens;
                        mm.Run(in m, px + (first * cols), tokens, py);
                        for (int t = 0; t < tokens; t++)
                        {
                            for (int r = 0; r < rows; r++)
                            {
                                float a = alone[((first + t) * rows) + r], b = y[(t * rows) + r];
                                Assert.True(BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b),
                                    $"{type} packed={packed} cols={cols}: token {first + t} row {r} in a batch of {tokens}: {b:R} vs alone {a:R}");
                            }
                        }
                    }
                }
            }
            finally
            {
                if (pk != null)
                {
                    NativeMemory.AlignedFree(pk);
                }
            }
        }
    }

    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (int n = 0; n <= 256; n++)
        {
            data.Add(n);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Every_float_dot_kernel_sums_in_the_canonical_order(int n)
    {
        var rng = new Random(n + 1000);
        // Mixed magnitudes make any change of summation order visible in the last bits.
        var a = new float[(4 * n) + 1];
        var b = new float[(4 * n) + 1];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)));
            b[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)));
        }

        var half = new ushort[4 * n];
        var halfAsFloat = new float[4 * n];
        var bf = new ushort[4 * n];
        var bfAsFloat = new float[4 * n];
        for (int i = 0; i < half.Length; i++)
        {
            half[i] = BitConverter.HalfToUInt16Bits((Half)a[i]);
            halfAsFloat[i] = (float)BitConverter.UInt16BitsToHalf(half[i]);
            bf[i] = (ushort)(BitConverter.SingleToUInt32Bits(a[i]) >> 16);
            bfAsFloat[i] = BitConverter.UInt32BitsToSingle((uint)bf[i] << 16);
        }

        var xs = b.Select(v => v * VecDot.PreScale).ToArray();
        var tile = new float[16];
        var one = new float[4];
        fixed (float* pa = a, pb = b, pxs = xs, ph = halfAsFloat, pbf = bfAsFloat, pt = tile, po = one)
        fixed (ushort* pH = half, pB = bf)
        {
            float expected = VecDot.F32Canonical(pa, pb, n);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(VecDot.F32(pa, pb, n)));

            float expectedHalf = VecDot.F32Canonical(ph, pb, n);
            Assert.Equal(BitConverter.SingleToInt32Bits(expectedHalf), BitConverter.SingleToInt32Bits(VecDot.F16(pH, pb, n)));
            Assert.Equal(BitConverter.SingleToInt32Bits(expectedHalf), BitConverter.SingleToInt32Bits(VecDot.F16PreScaled(pH, pxs, n)));

            float expectedBf = VecDot.F32Canonical(pbf, pb, n);
            Assert.Equal(BitConverter.SingleToInt32Bits(expectedBf), BitConverter.SingleToInt32Bits(VecDot.BF16(pB, pb, n)));

            // Tiles: rows w + i·n (i < 4) against tokens b + j·n (j < 4), each element equal to its canonical dot.
            Gemm.Tile4x4(pa, n, pb, n, pt, 4, n);
            Gemm.Tile4x1(pa, n, pb + n, po, n);
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    float e = VecDot.F32Canonical(pa + (i * n), pb + (j * n), n);
                    Assert.True(BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(pt[(j * 4) + i]), $"4x4 tile ({i},{j}) n={n}");
                }

                float e1 = VecDot.F32Canonical(pa + (i * n), pb + n, n);
                Assert.True(BitConverter.SingleToInt32Bits(e1) == BitConverter.SingleToInt32Bits(po[i]), $"4x1 tile row {i} n={n}");
            }
        }
    }
}
