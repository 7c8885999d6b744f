using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The AVX2 forms of the rows-in-lanes kernels give bit-identical outputs to the wider ones on the same packed bytes:
/// Q4_0x16's two 256-bit halves against its 512-bit kernel, Q8_0x8's vpmaddubsw form against its VNNI form. Skipped
/// (not passed) on a CPU that lacks the wider instructions to compare with.
/// </summary>
public unsafe class PackedAvx2KernelTests
{
    public static TheoryData<int, int> Shapes() => new() { { 1, 32 }, { 3, 64 }, { 8, 256 }, { 5, 512 } };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Q4_0x16_avx2_halves_equal_the_512_bit_kernel(int tokens, int cols)
    {
        Skip.IfNot(Avx512BW.IsSupported && Avx2.IsSupported, "no AVX-512BW kernel to compare with on this CPU");
        const int rows = 32;
        var (w, q8) = Data(GgmlType.Q4_0, rows, cols, tokens, 11);
        var wide = new float[tokens * rows];
        var narrow = new float[tokens * rows];
        int blocks = cols / 32;
        fixed (byte* pw = w)
        fixed (Q8Block* pa = q8)
        fixed (float* py = wide, pn = narrow)
        {
            byte* packed = Q4_0x16.Repack(pw, rows, cols);
            try
            {
                for (int g = 0; g < rows / 16; g++)
                {
                    Q4_0x16.Group(packed, g, blocks, pa, blocks, tokens, py + (g * 16), rows);
                    Q4_0x16.GroupAvx2(packed, g, blocks, pa, blocks, tokens, pn + (g * 16), rows, 0);
                    Q4_0x16.GroupAvx2(packed, g, blocks, pa, blocks, tokens, pn + (g * 16), rows, 8);
                }
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }
        }

        AssertBits(wide, narrow);
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Q8_0x8_avx2_form_equals_the_vnni_form(int tokens, int cols)
    {
        Skip.IfNot(AvxVnni.IsSupported, "no AVX-VNNI form to compare with on this CPU");
        const int rows = 16;
        var (w, q8) = Data(GgmlType.Q8_0, rows, cols, tokens, 12);
        var vnni = new float[tokens * rows];
        var avx2 = new float[tokens * rows];
        int blocks = cols / 32;
        fixed (byte* pw = w)
        fixed (Q8Block* pa = q8)
        fixed (float* py = vnni, pn = avx2)
        {
            byte* packed = Q8_0x8.Repack(pw, rows, cols);
            try
            {
                for (int g = 0; g < rows / 8; g++)
                {
                    Q8_0x8.Group(packed, g, blocks, pa, blocks, tokens, py + (g * 8), rows);
                    Q8_0x8.GroupAvx2(packed, g, blocks, pa, blocks, tokens, pn + (g * 8), rows);
                }
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }
        }

        AssertBits(vnni, avx2);
    }

    private static (byte[] W, Q8Block[] Q8) Data(GgmlType type, int rows, int cols, int tokens, int seed)
    {
        var rng = new Random(seed + cols + tokens);
        var w = QuantTestData.RandomRow(type, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng, range: 4);
        var q8 = new Q8Block[tokens * cols / 32];
        fixed (float* px = x)
        fixed (Q8Block* pa = q8)
        {
            for (int t = 0; t < tokens; t++)
            {
                ActivationQuantizer.ToQ8(px + (t * cols), pa + (t * cols / 32), cols);
            }
        }

        return (w, q8);
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"output {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
