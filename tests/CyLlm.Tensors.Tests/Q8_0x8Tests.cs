using System.Runtime.InteropServices;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>The repacked 8-rows-in-lanes Q8_0 kernel equals the integer reference row by row.</summary>
public unsafe class Q8_0x8Tests
{
    [Theory]
    [InlineData(16, 32, 1)]
    [InlineData(16, 256, 2)]
    [InlineData(32, 64, 3)]
    [InlineData(48, 128, 4)]
    [InlineData(64, 96, 7)]
    [InlineData(16, 256, 9)]
    public void Packed_matmul_equals_the_integer_reference(int rows, int cols, int tokens)
    {
        if (!Q8_0x8.IsSupported)
        {
            Assert.False(Q8_0x8.IsSupported); // without VNNI the engine never packs Q8_0
            return;
        }

        var rng = new Random(rows * 17 + cols + tokens);
        var w = QuantTestData.RandomRow(GgmlType.Q8_0, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng, 2);
        var y = new float[tokens * rows];
        using var pool = new WorkerPool(2);
        using var mm = new MatMul(pool);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            byte* packed = Q8_0x8.Repack(pw, rows, cols);
            try
            {
                var m = new QuantMatrix(GgmlType.Q8_0, rows, cols, pw) { Packed = packed };
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
                        float expected = VecDot.Q8_0Reference(pw + (r * (cols / 32) * 34), pa, cols / 32);
                        Assert.Equal(expected, y[(t * rows) + r], 1e-3f * Math.Max(1, Math.Abs(expected)));
                    }
                }
            }
        }
    }
}
