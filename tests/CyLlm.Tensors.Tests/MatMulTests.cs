using CsCheck;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Tests;

public unsafe class MatMulTests
{
    private static readonly WorkerPool Pool = new(2);

    public static TheoryData<GgmlType> AllTypes() => new()
    {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
        GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4,
    };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Batched_matmul_matches_row_by_row_dequantized_reference(GgmlType type)
    {
        const int rows = 37, cols = 256, tokens = 5;
        var rng = new Random((int)type);
        var w = QuantTestData.RandomRow(type, rows * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng);
        var y = new float[tokens * rows];
        using var mm = new MatMul(Pool);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            var m = new QuantMatrix(type, rows, cols, pw);
            mm.Run(in m, px, tokens, py);
        }

        var wf = new float[rows * cols];
        Dequantize.Row(type, w, wf);
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                double exact = 0, magnitude = 0;
                for (int k = 0; k < cols; k++)
                {
                    exact += (double)wf[(r * cols) + k] * x[(t * cols) + k];
                    magnitude += Math.Abs(wf[(r * cols) + k] * x[(t * cols) + k]);
                }

                // Integer kernels quantize activations to 8 bits: allow that error, nothing more.
                double tol = (type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 ? 1e-5 : 0.02) * magnitude + 1e-5;
                Assert.True(Math.Abs(exact - y[(t * rows) + r]) <= tol, $"{type} t={t} r={r}: {y[(t * rows) + r]} vs {exact}");
            }
        }
    }

    [Fact]
    public void Fused_dispatch_equals_separate_runs()
    {
        const int cols = 64, tokens = 3;
        var rng = new Random(3);
        var w0 = QuantTestData.RandomRow(GgmlType.Q8_0, 16 * cols, rng);
        var w1 = QuantTestData.RandomRow(GgmlType.F32, 8 * cols, rng);
        var w2 = QuantTestData.RandomRow(GgmlType.Q4_0, 24 * cols, rng);
        var x = QuantTestData.RandomFloats(tokens * cols, rng);
        using var mm = new MatMul(Pool);
        var a = new float[tokens * 16];
        var b = new float[tokens * 8];
        var c = new float[tokens * 24];
        var a2 = new float[a.Length];
        var b2 = new float[b.Length];
        var c2 = new float[c.Length];
        fixed (byte* p0 = w0, p1 = w1, p2 = w2)
        fixed (float* px = x, pa = a, pb = b, pc = c, pa2 = a2, pb2 = b2, pc2 = c2)
        {
            var m0 = new QuantMatrix(GgmlType.Q8_0, 16, cols, p0);
            var m1 = new QuantMatrix(GgmlType.F32, 8, cols, p1);
            var m2 = new QuantMatrix(GgmlType.Q4_0, 24, cols, p2);
            mm.Run(in m0, pa, in m1, pb, in m2, pc, px, tokens);
            mm.Run(in m0, px, tokens, pa2);
            mm.Run(in m1, px, tokens, pb2);
            mm.Run(in m2, px, tokens, pc2);
        }

        Assert.Equal(a2, a);
        Assert.Equal(b2, b);
        Assert.Equal(c2, c);
    }

    [Fact]
    public void Rejects_mismatched_shapes()
    {
        var w = new byte[34];
        fixed (byte* p = w)
        {
            byte* ptr = p;
            Assert.Throws<ArgumentException>(() => new QuantMatrix(GgmlType.Q8_0, 1, 33, ptr));
            Assert.Throws<NotSupportedException>(() => new QuantMatrix(GgmlType.IQ1_S, 1, 256, ptr));
        }
    }

    private sealed class CountingJob : IParallelJob
    {
        public int[] Hits = [];

        public void Execute(int index, int worker) => Interlocked.Increment(ref Hits[index]);
    }

    [Fact]
    public void A_single_thread_pool_runs_inline_and_disposes_cleanly()
    {
        var job = new CountingJob { Hits = new int[5] };
        using (var pool = new WorkerPool(1))
        {
            pool.Run(job, 5);
        }

        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Worker_pool_runs_every_part_exactly_once()
    {
        var job = new CountingJob();
        Gen.Int[0, 500].Sample(parts =>
        {
            job.Hits = new int[parts];
            Pool.Run(job, parts);
            return job.Hits.All(h => h == 1);
        }, iter: 300, threads: 1); // one job object: runs must not overlap
    }
}
