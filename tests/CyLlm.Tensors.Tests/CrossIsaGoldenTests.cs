using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The same bits on every CPU (serving-core issue): each kernel the forward pass uses is run on seeded inputs and
/// the SHA-256 of its output bits is compared with <c>TestData/cross-isa.json</c>. CI runs this file with AVX-512 on,
/// with AVX-512 off (the AVX2 path) and with every intrinsic off; all three compare against the one golden, so a
/// kernel whose summation order follows the vector width fails on at least one of them. The golden is written only by
/// <c>scripts/golden/cross-isa.sh</c> (CYLLM_WRITE_GOLDEN=1), after a deliberate change of a kernel's arithmetic.
/// </summary>
public sealed unsafe class CrossIsaGoldenTests
{
    private static readonly WorkerPool Pool = new(2);

    /// <summary>Kernels whose element-wise exp comes from TensorPrimitives: its 128/256/512-bit paths share one
    /// algorithm per lane, but its scalar path calls the C runtime's expf, so they are compared only where vectors run.</summary>
    private static readonly HashSet<string> VectorOnly = ["softmax", "swiglu"];

    /// <summary>The integer kernels' scalar references (the path of machines without AVX2, Arm64 included, until it has
    /// AdvSimd kernels) add the blocks' products in another order than the AVX2 and AVX-512 paths, which agree — except
    /// Q2_K, Q3_K, IQ4_NL, IQ4_XS and MXFP4, whose references keep the vector paths' integer lanes (VecDot.LanesFma) and so give
    /// the same bits everywhere.</summary>
    private static bool NeedsAvx2(string kernel) =>
        kernel.StartsWith("matmul.q", StringComparison.Ordinal) && kernel is not ("matmul.q2_k" or "matmul.q3_k")
            && !System.Runtime.Intrinsics.X86.Avx2.IsSupported;

    public static TheoryData<string> Kernels() => new(Cases.Keys.Order(StringComparer.Ordinal));

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Kernel_output_bits_equal_the_golden_on_every_isa_level(string kernel)
    {
        Skip.If(VectorOnly.Contains(kernel) && !System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated,
            $"{kernel} uses TensorPrimitives.Exp, whose scalar path (expf) is not its vector algorithm");
        Skip.If(NeedsAvx2(kernel), $"{kernel}: the scalar reference of the integer kernels sums blocks in another order than the vector paths");
        string? actual = Cases[kernel]();
        Skip.If(actual is null, $"{kernel} has no kernel on this CPU");
        if (Environment.GetEnvironmentVariable("CYLLM_WRITE_GOLDEN") == "1")
        {
            lock (Written)
            {
                Written.Value[kernel] = actual!;
                File.WriteAllText(SourceGolden, JsonSerializer.Serialize(new SortedDictionary<string, string>(Written.Value, StringComparer.Ordinal), new JsonSerializerOptions { WriteIndented = true }) + "\n");
            }

            return;
        }

        var golden = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "cross-isa.json")))!;
        Assert.True(golden.TryGetValue(kernel, out string? expected), $"{kernel} has no golden: run scripts/golden/cross-isa.sh");
        Assert.True(expected == actual, $"{kernel}: output bits hash {actual}, golden {expected} — the arithmetic depends on the ISA level (or changed: regenerate with scripts/golden/cross-isa.sh)");
    }

    // Only a regeneration (CYLLM_WRITE_GOLDEN=1) reads the source golden.
    private static readonly Lazy<Dictionary<string, string>> Written = new(LoadExisting);

    private static string SourceGolden
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("no repository root"), "tests", "CyLlm.Tensors.Tests", "TestData", "cross-isa.json");
        }
    }

    private static Dictionary<string, string> LoadExisting()
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(SourceGolden)) ?? [];
        }
        catch (Exception ex) when (ex is IOException or JsonException or InvalidOperationException)
        {
            return [];
        }
    }

    private static readonly Dictionary<string, Func<string?>> Cases = BuildCases();

    private static Dictionary<string, Func<string?>> BuildCases()
    {
        var cases = new Dictionary<string, Func<string?>>
        {
            ["vecdot.f32"] = () => OverLengths(301, (rng, n) =>
            {
                var a = Floats(rng, n);
                var b = Floats(rng, n);
                fixed (float* pa = a, pb = b)
                {
                    return [VecDot.F32(pa, pb, n)];
                }
            }),
            ["vecdot.sum"] = () => OverLengths(301, (rng, n) =>
            {
                var a = Floats(rng, n);
                fixed (float* pa = a)
                {
                    return [VecDot.Sum(pa, n)];
                }
            }),
            ["vecdot.f16"] = () => OverLengths(301, (rng, n) =>
            {
                var w = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    w[i] = BitConverter.HalfToUInt16Bits((Half)(float)((rng.NextDouble() * 2) - 1));
                }

                var x = Floats(rng, n);
                fixed (ushort* pw = w)
                fixed (float* px = x)
                {
                    return [VecDot.F16(pw, px, n)];
                }
            }),
            ["vecdot.bf16"] = () => OverLengths(301, (rng, n) =>
            {
                var w = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    w[i] = Fp16.FloatToBF16((float)((rng.NextDouble() * 2) - 1));
                }

                var x = Floats(rng, n);
                fixed (ushort* pw = w)
                fixed (float* px = x)
                {
                    return [VecDot.BF16(pw, px, n)];
                }
            }),
            ["rmsnorm"] = () => OverLengths(301, (rng, n) =>
            {
                var x = Floats(rng, n);
                var w = Floats(rng, n);
                var y = new float[n];
                RmsNorm.Apply(x, w, y, 1e-5f);
                return y;
            }),
            ["softmax"] = () => OverLengths(301, (rng, n) =>
            {
                var x = new float[n];
                for (int i = 0; i < n; i++)
                {
                    x[i] = (float)((rng.NextDouble() - 0.5) * 30);
                }

                Softmax.Apply(x);
                return x;
            }),
            ["swiglu"] = () => OverLengths(301, (rng, n) =>
            {
                var g = new float[n];
                for (int i = 0; i < n; i++)
                {
                    g[i] = (float)((rng.NextDouble() - 0.5) * 16);
                }

                var u = Floats(rng, n);
                Activations.SwiGlu(g, u, new float[n]);
                return g;
            }),
            ["attention.scores"] = () => Attention(scores: true),
            ["attention.values"] = () => Attention(scores: false),
        };
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4 })
        {
            cases[$"matmul.{type.ToString().ToLowerInvariant()}"] = () => MatMulBits(type, packed: false);
        }

        cases["matmul.q8_0.packed"] = () => MatMulBits(GgmlType.Q8_0, packed: true);
        cases["matmul.q4_0.packed"] = () => MatMulBits(GgmlType.Q4_0, packed: true);
        cases["matmul.q4_k.packed"] = () => MatMulBits(GgmlType.Q4_K, packed: true);
        return cases;
    }

    /// <summary>Mixed magnitudes (10^−3..10^3): any change of summation order shows in the last bits.</summary>
    private static float[] Floats(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)));
        }

        return x;
    }

    private static string OverLengths(int lengths, Func<Random, int, float[]> run)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int n = 0; n < lengths; n++)
        {
            var y = run(new Random(n + 77), n);
            hash.AppendData(MemoryMarshal.AsBytes(y.AsSpan()));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Attention(bool scores)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (int hd in new[] { 48, 64, 128 })
        {
            for (int m = 1; m <= AttentionKernel.Tile; m++)
            {
                var rng = new Random((hd * 100) + m);
                int stride = hd + 8;
                const int heads = 4;
                var q = Floats(rng, hd * heads);
                var k = Floats(rng, stride * m);
                var o = Floats(rng, hd * heads);
                var s = new float[AttentionKernel.Tile * heads];
                fixed (float* pq = q, pk = k, ps = s, po = o)
                {
                    if (scores)
                    {
                        AttentionKernel.Scores(pq, pk, stride, hd, m, 0.125f, ps);
                        hash.AppendData(MemoryMarshal.AsBytes(s.AsSpan(0, m)));
                    }
                    else
                    {
                        for (int i = 0; i < s.Length; i++)
                        {
                            s[i] = (float)rng.NextDouble();
                        }

                        AttentionKernel.AccumulateValuesHeads(ps, AttentionKernel.Tile, pk, stride, m, hd, po, hd, heads);
                        hash.AppendData(MemoryMarshal.AsBytes(o.AsSpan()));
                    }
                }
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>y for 1, 3, 4, 16 and 21 tokens over a 48 × 512 matrix (two K super-blocks; 48 rows pack for every packed kernel).</summary>
    private static string? MatMulBits(GgmlType type, bool packed)
    {
        const int rows = 48, cols = 512, maxTokens = 21;
        var rng = new Random(((int)type * 7) + 3);
        var w = QuantTestData.RandomRow(type, rows * cols, rng);
        var x = QuantTestData.RandomFloats(maxTokens * cols, rng, range: 3);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        fixed (byte* pw = w)
        fixed (float* px = x)
        {
            byte* pk = packed ? RowPacking.TryRepack(type, pw, rows, cols) : null;
            if (packed && pk == null)
            {
                return null;
            }

            try
            {
                var m = new QuantMatrix(type, rows, cols, pw) { Packed = pk };
                using var mm = new MatMul(Pool);
                foreach (int tokens in new[] { 1, 3, 4, 16, 21 })
                {
                    var y = new float[tokens * rows];
                    fixed (float* py = y)
                    {
                        mm.Run(in m, px, tokens, py);
                    }

                    hash.AppendData(MemoryMarshal.AsBytes(y.AsSpan()));
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

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
