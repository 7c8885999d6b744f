using System.Runtime.InteropServices;
using CyLlm.Engine.Execution;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The grouped mixture-of-experts FFN against a scalar per-token reference (double precision: softmax, top-k with ties to
/// the lower index, renormalised weights, Σ w_j · down_j(silu(gate_j x) ⊙ up_j x)) on random F32 experts, for batches
/// where experts get many, one or no tokens; and a token's output does not change with its batch neighbours.
/// </summary>
public sealed unsafe class MoeFeedForwardTests : IDisposable
{
    private const int Dim = 64, Hidden = 32, Experts = 8;
    private readonly List<nint> _owned = [];
    private readonly WorkerPool _pool = new(2);

    public void Dispose()
    {
        foreach (var p in _owned)
        {
            NativeMemory.Free((void*)p);
        }

        _pool.Dispose();
    }

    private float* Copy(float[] values)
    {
        var p = (float*)NativeMemory.Alloc((nuint)values.Length, sizeof(float));
        values.CopyTo(new Span<float>(p, values.Length));
        _owned.Add((nint)p);
        return p;
    }

    private static float[] RandomArray(Random rng, int n, double std) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * std * 1.7)).ToArray();

    private sealed record Model(float[] Router, float[][] Gate, float[][] Up, float[][] Down, MoeWeights Weights);

    private Model Build(int used, int seed)
    {
        var rng = new Random(seed);
        var router = RandomArray(rng, Experts * Dim, 0.5);
        var gate = Enumerable.Range(0, Experts).Select(_ => RandomArray(rng, Hidden * Dim, 0.2)).ToArray();
        var up = Enumerable.Range(0, Experts).Select(_ => RandomArray(rng, Hidden * Dim, 0.2)).ToArray();
        var down = Enumerable.Range(0, Experts).Select(_ => RandomArray(rng, Dim * Hidden, 0.2)).ToArray();
        QuantMatrix M(float[] a, int rows, int cols) => new(GgmlType.F32, rows, cols, (byte*)Copy(a));
        var w = new MoeWeights
        {
            Router = M(router, Experts, Dim),
            Gate = gate.Select(a => M(a, Hidden, Dim)).ToArray(),
            Up = up.Select(a => M(a, Hidden, Dim)).ToArray(),
            Down = down.Select(a => M(a, Dim, Hidden)).ToArray(),
            Used = used,
        };
        return new Model(router, gate, up, down, w);
    }

    private static double[] Reference(Model m, float[] x, int used)
    {
        static double Dot(float[] a, int row, int cols, float[] v)
        {
            double s = 0;
            for (int c = 0; c < cols; c++)
            {
                s += a[(row * cols) + c] * (double)v[c];
            }

            return s;
        }

        var logits = Enumerable.Range(0, Experts).Select(e => Dot(m.Router, e, Dim, x)).ToArray();
        double max = logits.Max();
        var p = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = p.Sum();
        var order = Enumerable.Range(0, Experts).OrderByDescending(e => p[e]).ThenBy(e => e).Take(used).ToArray();
        double total = order.Sum(e => p[e] / sum);
        var y = new double[Dim];
        foreach (int e in order)
        {
            var h = new float[Hidden];
            for (int r = 0; r < Hidden; r++)
            {
                double g = Dot(m.Gate[e], r, Dim, x), u = Dot(m.Up[e], r, Dim, x);
                h[r] = (float)(g / (1 + Math.Exp(-g)) * u);
            }

            double w = p[e] / sum / total;
            for (int d = 0; d < Dim; d++)
            {
                y[d] += w * Dot(m.Down[e], d, Hidden, h);
            }
        }

        return y;
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 3)]
    [InlineData(2, 17)]
    [InlineData(3, 9)]
    [InlineData(8, 5)]
    public void A_batch_matches_the_per_token_scalar_reference(int used, int n)
    {
        var m = Build(used, seed: (used * 100) + n);
        var rng = new Random(n);
        var x = RandomArray(rng, n * Dim, 1.0);
        using var mm = new MatMul(_pool);
        using var moe = new MoeFeedForward(Dim, Hidden, Experts, used, maxBatch: 32);
        var y = new float[n * Dim];
        fixed (float* px = x, py = y)
        {
            moe.Run(mm, m.Weights, px, py, n);
        }

        for (int t = 0; t < n; t++)
        {
            var r = Reference(m, x.AsSpan(t * Dim, Dim).ToArray(), used);
            for (int d = 0; d < Dim; d++)
            {
                Assert.True(Math.Abs(y[(t * Dim) + d] - r[d]) < 1e-4, $"token {t} dim {d}: {y[(t * Dim) + d]} vs {r[d]}");
            }
        }
    }

    [Fact]
    public void Output_may_overwrite_the_input_and_a_token_does_not_depend_on_its_neighbours()
    {
        const int used = 2, n = 12;
        var m = Build(used, seed: 7);
        var x = RandomArray(new Random(8), n * Dim, 1.0);
        using var mm = new MatMul(_pool);
        using var moe = new MoeFeedForward(Dim, Hidden, Experts, used, maxBatch: n);
        var inPlace = (float[])x.Clone();
        fixed (float* p = inPlace)
        {
            moe.Run(mm, m.Weights, p, p, n);
        }

        // Each token alone, out of place: the same bits as in the batch.
        for (int t = 0; t < n; t++)
        {
            var one = x.AsSpan(t * Dim, Dim).ToArray();
            var y = new float[Dim];
            fixed (float* px = one, py = y)
            {
                moe.Run(mm, m.Weights, px, py, 1);
            }

            Assert.Equal(y, inPlace.AsSpan(t * Dim, Dim).ToArray());
        }
    }
}
