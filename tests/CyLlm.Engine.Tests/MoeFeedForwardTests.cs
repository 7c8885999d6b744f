using System.Runtime.InteropServices;
using CyLlm.Engine.Execution;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The grouped mixture-of-experts FFN against a scalar per-token reference (double precision: softmax, top-k with ties to
/// the lower index, renormalised weights, Σ w_j · down_j(silu(gate_j x) ⊙ up_j x)) on random F32 experts, for batches
/// where experts get many, one or no tokens; and a token's output does not change with its batch neighbours. Qwen2-MoE's
/// variant (raw top-k probabilities, plus a shared expert scaled by sigmoid(g · x)) against the same reference.
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

    private sealed record Model(float[] Router, float[][] Gate, float[][] Up, float[][] Down, MoeWeights Weights)
    {
        // The shared expert (Qwen2-MoE), or null: gate input [Dim], gate/up [SharedHidden, Dim], down [Dim, SharedHidden].
        public float[][]? Shared { get; init; }
    }

    private const int SharedHidden = 48;

    private Model Build(int used, int seed, bool shared = false, bool normalize = true)
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
            Normalize = normalize,
        };
        if (!shared)
        {
            return new Model(router, gate, up, down, w);
        }

        float[][] sh = [RandomArray(rng, Dim, 0.5), RandomArray(rng, SharedHidden * Dim, 0.2), RandomArray(rng, SharedHidden * Dim, 0.2), RandomArray(rng, Dim * SharedHidden, 0.2)];
        w = new MoeWeights
        {
            Router = w.Router,
            Gate = w.Gate,
            Up = w.Up,
            Down = w.Down,
            Used = used,
            Normalize = normalize,
            SharedGateInput = M(sh[0], 1, Dim),
            SharedGate = M(sh[1], SharedHidden, Dim),
            SharedUp = M(sh[2], SharedHidden, Dim),
            SharedDown = M(sh[3], Dim, SharedHidden),
        };
        return new Model(router, gate, up, down, w) { Shared = sh };
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
        double total = m.Weights.Normalize ? order.Sum(e => p[e] / sum) : 1;
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

        if (m.Shared is { } s)
        {
            double gate = 1 / (1 + Math.Exp(-Dot(s[0], 0, Dim, x)));
            var h = new float[SharedHidden];
            for (int r = 0; r < SharedHidden; r++)
            {
                double g = Dot(s[1], r, Dim, x), u = Dot(s[2], r, Dim, x);
                h[r] = (float)(g / (1 + Math.Exp(-g)) * u);
            }

            for (int d = 0; d < Dim; d++)
            {
                y[d] += gate * Dot(s[3], d, SharedHidden, h);
            }
        }

        return y;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    public void Qwen2moe_unnormalised_weights_and_the_sigmoid_gated_shared_expert_match_the_scalar_reference(int n)
    {
        var m = Build(used: 4, seed: 40 + n, shared: true, normalize: false);
        var x = RandomArray(new Random(n), n * Dim, 1.0);
        using var mm = new MatMul(_pool);
        using var moe = new MoeFeedForward(Dim, Hidden, Experts, 4, maxBatch: 16, shared: SharedHidden);
        var y = (float[])x.Clone();
        fixed (float* py = y)
        {
            moe.Run(mm, m.Weights, py, py, n);   // in place: the shared expert reads x before y is written
        }

        for (int t = 0; t < n; t++)
        {
            var r = Reference(m, x.AsSpan(t * Dim, Dim).ToArray(), 4);
            for (int d = 0; d < Dim; d++)
            {
                Assert.True(Math.Abs(y[(t * Dim) + d] - r[d]) < 1e-4, $"token {t} dim {d}: {y[(t * Dim) + d]} vs {r[d]}");
            }
        }

        // The gate matters: with its weights zeroed, sigmoid(0) = 0.5 scales the shared expert, and the output moves.
        // (The reference's copy and the engine's native copy of the gate row are both cleared.)
        Array.Clear(m.Shared![0]);
        new Span<float>(m.Weights.SharedGateInput!.Value.Data, Dim).Clear();
        var z = new float[n * Dim];
        fixed (float* px = x, pz = z)
        {
            moe.Run(mm, m.Weights, px, pz, n);
        }

        var r0 = Reference(m, x.AsSpan(0, Dim).ToArray(), 4);
        Assert.True(Math.Abs(z[0] - r0[0]) < 1e-4, $"{z[0]} vs {r0[0]}");
        Assert.True(z.Zip(y).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "zeroing the shared expert's gate changed nothing");
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
