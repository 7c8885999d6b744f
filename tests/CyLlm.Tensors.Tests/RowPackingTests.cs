using System.Runtime.InteropServices;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>The rows-in-lanes kernels (Q4_0 × 16 rows, Q4_K × 8, Q8_0 × 16 or 8 rows) equal the integer reference row by row.</summary>
public unsafe class RowPackingTests
{
    public static TheoryData<GgmlType, int, int, int> Shapes()
    {
        var d = new TheoryData<GgmlType, int, int, int>();
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0 })
        {
            d.Add(type, 16, 32, 1);
            d.Add(type, 16, 256, 2);
            d.Add(type, 32, 64, 3);
            d.Add(type, 48, 128, 4);
            d.Add(type, 64, 96, 7);
            d.Add(type, 16, 256, 9);
            d.Add(type, 32, 64, 8);
            d.Add(type, 32, 96, 13);
            d.Add(type, 48, 64, 16);
        }

        // Q4_K: every super-block count from 1 to 8 (256 to 2,048 columns), 1–4 tokens per kernel call and more.
        for (int sbs = 1; sbs <= 8; sbs++)
        {
            d.Add(GgmlType.Q4_K, 16 * (1 + (sbs % 3)), 256 * sbs, 1 + (sbs % 5));
        }

        d.Add(GgmlType.Q4_K, 32, 512, 9);
        d.Add(GgmlType.Q4_K, 16, 768, 16);
        return d;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Packed_matmul_equals_the_integer_reference(GgmlType type, int rows, int cols, int tokens)
    {
        var rng = new Random((rows * 31) + cols + tokens + (int)type);
        var w = QuantTestData.RandomRow(type, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng, 2);
        var y = new float[tokens * rows];
        int blocks = cols / 32;
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        using var pool = new WorkerPool(2);
        using var mm = new MatMul(pool);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            byte* packed = RowPacking.TryRepack(type, pw, rows, cols);
            bool supported = type switch
            {
                GgmlType.Q4_0 => Q4_0x16.IsSupported,
                GgmlType.Q4_K => Q4_Kx8.IsSupported,
                _ => Q8_0x16.IsSupported || Q8_0x8.IsSupported,
            };
            Assert.Equal(supported, packed != null); // without the instructions the engine never packs
            if (packed == null)
            {
                return;
            }

            try
            {
                var m = new QuantMatrix(type, rows, cols, pw) { Packed = packed };
                mm.Run(in m, px, tokens, py);
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }

            var q8 = new Q8Block[blocks];
            var sums = new short[cols / 16];
            fixed (Q8Block* pa = q8)
            fixed (short* ps = sums)
            {
                for (int t = 0; t < tokens; t++)
                {
                    if (type == GgmlType.Q4_K)
                    {
                        ActivationQuantizer.ToQ8K(px + (t * cols), pa, ps, cols);
                    }
                    else
                    {
                        ActivationQuantizer.ToQ8(px + (t * cols), pa, cols);
                    }

                    for (int r = 0; r < rows; r++)
                    {
                        byte* row = pw + (r * rowBytes);
                        float expected = type switch
                        {
                            GgmlType.Q4_0 => VecDot.Q4_0Reference(row, pa, blocks),
                            GgmlType.Q4_K => VecDot.Q4_KReference(row, pa, cols / 256),
                            _ => VecDot.Q8_0Reference(row, pa, blocks),
                        };
                        Assert.Equal(expected, y[(t * rows) + r], 1e-3f * Math.Max(1, Math.Abs(expected)));
                    }
                }
            }
        }
    }

    [Fact]
    public void Matrices_without_a_packed_kernel_stay_unpacked()
    {
        var w = new byte[GgmlTypeInfo.RowBytes(GgmlType.Q4_0, 32) * 8];
        fixed (byte* pw = w)
        {
            Assert.True(RowPacking.TryRepack(GgmlType.Q4_0, pw, 8, 32) == null);   // rows not a multiple of 16
            Assert.True(RowPacking.TryRepack(GgmlType.F16, pw, 16, 32) == null);   // no packed F16 kernel
        }
    }
}
