using System.Runtime.InteropServices;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>The repacked 16-rows-in-lanes Q4_0 kernel equals the integer reference row by row.</summary>
public unsafe class Q4_0x16Tests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 16, 32, 1 }, { 16, 256, 2 }, { 32, 64, 3 }, { 48, 128, 4 }, { 64, 96, 7 }, { 16, 256, 9 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Packed_matmul_equals_the_integer_reference(int rows, int cols, int tokens)
    {
        if (!Q4_0x16.IsSupported)
        {
            // Without AVX-512BW the engine never packs; the unpacked kernels are covered elsewhere.
            Assert.False(Q4_0x16.IsSupported);
            return;
        }

        var rng = new Random(rows * 31 + cols + tokens);
        var w = QuantTestData.RandomRow(GgmlType.Q4_0, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng, 2);
        var y = new float[tokens * rows];
        using var pool = new WorkerPool(2);
        using var mm = new MatMul(pool);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            byte* packed = Q4_0x16.Repack(pw, rows, cols);
            try
            {
                var m = new QuantMatrix(GgmlType.Q4_0, rows, cols, pw) { Packed = packed };
                mm.Run(in m, px, tokens, py);
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }

            var q8 = new Q8Block[cols / 32];
            fixed (Q8Block* pa = q8)
            {
                for (int t = 0; t < tokens; t++)
                {
                    ActivationQuantizer.ToQ8(px + (t * cols), pa, cols);
                    for (int r = 0; r < rows; r++)
                    {
                        float expected = VecDot.Q4_0Reference(pw + (r * (cols / 32) * 18), pa, cols / 32);
                        Assert.Equal(expected, y[(t * rows) + r], 1e-3f * Math.Max(1, Math.Abs(expected)));
                    }
                }
            }
        }
    }
}
