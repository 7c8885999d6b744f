using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using CyLlm.Tensors.Native;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The 512-bit VNNI kernels (machine code): Q8_0 (<see cref="Q8_0x16"/>) bit-identical to the C# AVX-VNNI kernel
/// (<see cref="Q8_0x8"/>) and Q4_0 to the C# AVX-512BW one for every token count, close to the scalar references,
/// and loaded only where they can run.
/// </summary>
public unsafe class Vnni512KernelTests
{
    [Fact]
    public void The_embedded_machine_code_was_generated_from_the_current_source()
    {
        // scripts/kernels/build.sh records the C source's hash; an edited vnni512.c without a rebuild fails here
        // (CI also rebuilds the bytes with `build.sh --check` where the recorded gcc is installed).
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "CyLlm.slnx")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }

        byte[] source = File.ReadAllBytes(Path.Combine(dir, "src", "CyLlm.Tensors", "Native", "vnni512.c"));
        Assert.Equal(Vnni512Kernels.SourceSha256, Convert.ToHexStringLower(SHA256.HashData(source)));
        Assert.Contains("-mavx512vnni", Vnni512Kernels.CompilerFlags);
    }

    [Fact]
    public void The_embedded_machine_code_matches_its_recorded_hash_and_entry()
    {
        byte[] code = Convert.FromBase64String(Vnni512Kernels.CodeBase64);
        Assert.Equal(Vnni512Kernels.CodeSha256, Convert.ToHexStringLower(SHA256.HashData(code)));
        Assert.InRange(Vnni512Kernels.Q8_0x16EntryOffset, 0, code.Length - 1);
        Assert.InRange(Vnni512Kernels.Q4_0x16EntryOffset, 0, code.Length - 1);
    }

    [Fact]
    public void The_kernel_loads_exactly_where_the_processor_and_runtime_allow_it()
    {
        bool expected = ExecutableMemory.IsSupported
            && Vnni512Kernels.ProcessorHasAvx512Vnni
            && Environment.GetEnvironmentVariable("CYLLM_NATIVE_KERNELS") != "0";
        Assert.Equal(expected, Q8_0x16.IsSupported);
        Assert.Equal(expected, Q4_0x16.HasNativeKernel);
        Assert.Equal(expected ? 16 : Q4_0x16.MaxTokens, Q4_0x16.RunTokens);
        Assert.Equal(expected, Q8_0x16.Status == "loaded");
        if (!Avx512F.IsSupported)
        {
            Assert.False(Q8_0x16.IsSupported); // DOTNET_EnableAVX512=0 turns it off with the managed 512-bit paths
        }
    }

    [SkippableFact]
    public void Group_without_the_kernel_is_a_clear_error()
    {
        Skip.If(Q8_0x16.IsSupported, "the kernel loaded here: the equality tests below run it");

        var ex = Assert.Throws<PlatformNotSupportedException>(() => Q8_0x16.Group(null, 0, 1, null, 1, 1, null, 16));
        Assert.Contains(Q8_0x16.Status, ex.Message);
    }

    /// <summary>Random activations of <paramref name="tokens"/> tokens quantized to Q8 blocks, [tokens, cols / 32].</summary>
    private static Q8Block[] QuantizedTokens(Random rng, int tokens, int cols)
    {
        var x = QuantTestData.RandomFloats(tokens * cols, rng, 3);
        var a = new Q8Block[tokens * (cols / 32)];
        fixed (float* px = x)
        fixed (Q8Block* pa = a)
        {
            for (int t = 0; t < tokens; t++)
            {
                ActivationQuantizer.ToQ8(px + (t * cols), pa + (t * (cols / 32)), cols);
            }
        }

        return a;
    }

    /// <summary>y[t·rows + r] agrees with the scalar integer reference of row r and token t.</summary>
    private static void AssertMatchesReference(GgmlType type, byte* w, Q8Block* a, int rows, int cols, int tokens, float[] y)
    {
        int blocks = cols / 32;
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* row = w + (r * rowBytes);
                float expected = type == GgmlType.Q4_0 ? VecDot.Q4_0Reference(row, a + (t * blocks), blocks) : VecDot.Q8_0Reference(row, a + (t * blocks), blocks);
                Assert.Equal(expected, y[(t * rows) + r], 1e-3f * Math.Max(1, Math.Abs(expected)));
            }
        }
    }

    public static TheoryData<int, int> Shapes()
    {
        var d = new TheoryData<int, int>();
        foreach (int cols in new[] { 32, 64, 768, 2048 })
        {
            for (int tokens = 1; tokens <= Q8_0x16.MaxTokens; tokens++)
            {
                d.Add(cols, tokens);
            }
        }

        return d;
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Vnni512_equals_the_avx_vnni_kernel_bit_for_bit_and_the_scalar_reference(int cols, int tokens)
    {
        Skip.IfNot(Q8_0x16.IsSupported, $"the 512-bit VNNI kernel does not run here ({Q8_0x16.Status})");

        const int rows = 32;
        int blocks = cols / 32;
        var rng = new Random((cols * 131) + tokens);
        var w = QuantTestData.RandomRow(GgmlType.Q8_0, rows * cols, rng);
        // Include the extreme weight −128 (w+128 = 0 on the unsigned side), which ggml never writes but a file may hold.
        w[2] = 0x80;
        var a = QuantizedTokens(rng, tokens, cols);
        var y16 = new float[tokens * rows];
        var y8 = new float[tokens * rows];
        fixed (byte* pw = w)
        fixed (float* p16 = y16, p8 = y8)
        fixed (Q8Block* pa = a)
        {
            byte* packed16 = Q8_0x16.Repack(pw, rows, cols);
            byte* packed8 = Q8_0x8.IsSupported ? Q8_0x8.Repack(pw, rows, cols) : null;
            try
            {
                for (int g = 0; g < rows / Q8_0x16.Rows; g++)
                {
                    Q8_0x16.Group(packed16, g, blocks, pa, blocks, tokens, p16 + (g * Q8_0x16.Rows), rows);
                }

                if (packed8 != null)
                {
                    for (int g = 0; g < rows / Q8_0x8.Rows; g++)
                    {
                        for (int t = 0; t < tokens; t += Q8_0x8.MaxTokens)
                        {
                            Q8_0x8.Group(packed8, g, blocks, pa + (t * blocks), blocks, Math.Min(Q8_0x8.MaxTokens, tokens - t), p8 + (t * rows) + (g * Q8_0x8.Rows), rows);
                        }
                    }

                    // Same integer sums, same float operations in the same order: the same bits.
                    Assert.Equal(y8, y16);
                }

                AssertMatchesReference(GgmlType.Q8_0, pw, pa, rows, cols, tokens, y16);
            }
            finally
            {
                NativeMemory.AlignedFree(packed16);
                if (packed8 != null)
                {
                    NativeMemory.AlignedFree(packed8);
                }
            }
        }
    }

    [SkippableFact]
    public void The_kernel_writes_only_its_own_rows_and_tokens()
    {
        Skip.IfNot(Q8_0x16.IsSupported, $"the 512-bit VNNI kernel does not run here ({Q8_0x16.Status})");

        const int rows = 16, cols = 64, tokens = 3, yStride = 40;
        var rng = new Random(7);
        var w = QuantTestData.RandomRow(GgmlType.Q8_0, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng, 1);
        var a = new Q8Block[tokens * 2];
        var y = new float[(tokens + 1) * yStride];
        Array.Fill(y, float.NaN);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        fixed (Q8Block* pa = a)
        {
            for (int t = 0; t < tokens; t++)
            {
                ActivationQuantizer.ToQ8(px + (t * cols), pa + (t * 2), cols);
            }

            byte* packed = Q8_0x16.Repack(pw, rows, cols);
            try
            {
                Q8_0x16.Group(packed, 0, 2, pa, 2, tokens, py, yStride);
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }
        }

        for (int i = 0; i < y.Length; i++)
        {
            bool written = i / yStride < tokens && i % yStride < rows;
            Assert.Equal(written, !float.IsNaN(y[i]));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Q4_0_native_kernel_equals_the_avx512bw_kernel_bit_for_bit_and_the_scalar_reference(int cols, int tokens)
    {
        Skip.IfNot(Q4_0x16.HasNativeKernel, $"the 512-bit VNNI kernel does not run here ({Q8_0x16.Status})");

        const int rows = 32;
        int blocks = cols / 32;
        var rng = new Random((cols * 17) + tokens);
        var w = QuantTestData.RandomRow(GgmlType.Q4_0, rows * cols, rng);
        var a = QuantizedTokens(rng, tokens, cols);
        var yRun = new float[tokens * rows];
        var yGroup = new float[tokens * rows];
        fixed (byte* pw = w)
        fixed (float* pr = yRun, pg = yGroup)
        fixed (Q8Block* pa = a)
        {
            byte* packed = Q4_0x16.Repack(pw, rows, cols);
            try
            {
                for (int g = 0; g < rows / Q4_0x16.Rows; g++)
                {
                    for (int t = 0; t < tokens; t += Q4_0x16.RunTokens)
                    {
                        Q4_0x16.Run(packed, g, blocks, pa + (t * blocks), blocks, Math.Min(Q4_0x16.RunTokens, tokens - t), pr + (t * rows) + (g * Q4_0x16.Rows), rows);
                    }

                    for (int t = 0; t < tokens; t += Q4_0x16.MaxTokens)
                    {
                        Q4_0x16.Group(packed, g, blocks, pa + (t * blocks), blocks, Math.Min(Q4_0x16.MaxTokens, tokens - t), pg + (t * rows) + (g * Q4_0x16.Rows), rows);
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(packed);
            }

            Assert.Equal(yGroup, yRun);
            AssertMatchesReference(GgmlType.Q4_0, pw, pa, rows, cols, tokens, yRun);
        }
    }
}
