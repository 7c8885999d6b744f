using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using CyLlm.Models;
using CyLlm.Tensors;

namespace CyLlm.Engine.Execution;

/// <summary>
/// The mixture-of-experts FFN of one block over a batch (llama.cpp's build_moe_ffn with softmax gating and
/// renormalised top-k weights): router logits → <see cref="MoeRouter"/> per token → the (token, slot) pairs
/// grouped by expert → per expert one gate/up matmul over all of its tokens, SwiGLU, one down matmul → each token's
/// output = Σ_j weight_j · expert_j(x), summed in slot order. Grouping makes every expert's weights stream from memory
/// once per step however many tokens chose it, and an expert no token chose is not read at all. A token's result does
/// not depend on its neighbours (MatMul is batch-invariant and the sum order is fixed), so batched serving gives the
/// single-stream tokens. All buffers are sized once for maxBatch tokens: a step allocates nothing.
/// A model with a shared expert (Qwen2-MoE) also runs every token through one dense SwiGLU FFN and adds its output,
/// scaled by sigmoid(gate_inp_shexp · x), after the routed sum (llama.cpp's order: moe_out + shexp_out).
/// gpt-oss adds a bias to the router logits, routes by softmax over the k selected logits
/// (<see cref="MoeRouter.RouteSoftmaxOverSelected"/>), adds each expert's gate/up/down biases to its rows (ggml's add_id)
/// and uses the clamped SwiGLU (<see cref="Activations.SwiGluClamped"/>).
/// </summary>
internal sealed unsafe class MoeFeedForward : IDisposable
{
    private readonly SwiGluJob _swiGlu = new();
    private readonly int _dim, _hidden, _experts, _used, _shared;
    private float* _logits;     // [maxBatch, experts]: router logits, then probabilities
    private float* _weights;    // [maxBatch, used]: the selected experts' weights, slot order
    private int* _selected;     // [maxBatch, used]: the selected experts, slot order
    private int* _rowOf;        // [maxBatch * used]: grouped row of (token t, slot j) at t * used + j
    private int* _starts;       // [experts + 1]: first grouped row of each expert
    private int* _fill;         // [experts]: next free grouped row of each expert while grouping
    private float* _in;         // [maxBatch * used, dim]: the normed input rows, grouped by expert
    private float* _gate;       // [maxBatch * used, hidden]: gate projections, then silu(gate) ⊙ up
    private float* _up;         // [maxBatch * used, hidden]
    private float* _sig;        // [maxBatch * used, hidden]: SwiGLU scratch
    private float* _out;        // [maxBatch * used, dim]: each expert's output for each of its rows
    private float* _shLogit;    // [maxBatch]: the shared expert's gate logit per token
    private float* _shGate;     // [maxBatch, shared]: shared gate projections, then silu(gate) ⊙ up
    private float* _shUp;       // [maxBatch, shared]
    private float* _shSig;      // [maxBatch, shared]: SwiGLU scratch
    private float* _shOut;      // [maxBatch, dim]: the shared expert's output

    /// <param name="shared">Inner width of the shared expert; 0 = none (its buffers are then not allocated).</param>
    public MoeFeedForward(int dim, int hidden, int experts, int used, int maxBatch, int shared = 0)
    {
        _dim = dim;
        _hidden = hidden;
        _experts = experts;
        _used = used;
        _shared = shared;
        long rows = (long)maxBatch * used;
        _logits = Alloc((long)maxBatch * experts);
        _weights = Alloc(rows);
        _selected = (int*)NativeMemory.Alloc((nuint)rows, sizeof(int));
        _rowOf = (int*)NativeMemory.Alloc((nuint)rows, sizeof(int));
        _starts = (int*)NativeMemory.Alloc((nuint)experts + 1, sizeof(int));
        _fill = (int*)NativeMemory.Alloc((nuint)experts, sizeof(int));
        _in = Alloc(rows * dim);
        _gate = Alloc(rows * hidden);
        _up = Alloc(rows * hidden);
        _sig = Alloc(rows * hidden);
        _out = Alloc(rows * dim);
        long sharedRows = shared > 0 ? maxBatch : 0;
        _shLogit = Alloc(sharedRows);
        _shGate = Alloc(sharedRows * shared);
        _shUp = Alloc(sharedRows * shared);
        _shSig = Alloc(sharedRows * shared);
        _shOut = Alloc(sharedRows * dim);
    }

    private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, floats) * sizeof(float)), 64);

    /// <summary>y[t] = MoE-FFN(x[t]) for the <paramref name="n"/> rows of x [n, dim] (normed hidden states); y is
    /// [n, dim] and may be x (x is only read while the rows are grouped, before y is written).</summary>
    public void Run(MatMul mm, MoeWeights w, float* x, float* y, int n)
    {
        int k = _used;
        bool shared = _shared > 0 && w.SharedGateInput is not null;
        if (shared)
        {
            // First, while x is intact (y may be x): the shared expert's gate logit and FFN output for every token.
            var gi = w.SharedGateInput!.Value;
            var sg = w.SharedGate!.Value;
            var su = w.SharedUp!.Value;
            var sd = w.SharedDown!.Value;
            mm.Run(in gi, x, n, _shLogit);
            mm.Run(in sg, _shGate, in su, _shUp, x, n);
            SwiGlu(mm, _shGate, _shUp, _shSig, _shared, n, 0f, 0f);
            mm.Run(in sd, _shGate, n, _shOut);
        }

        var router = w.Router;
        mm.Run(in router, x, n, _logits);
        for (int t = 0; t < n; t++)
        {
            float* lt = _logits + ((nint)t * _experts);
            if (w.RouterBias is { } rb)
            {
                var row = new Span<float>(lt, _experts);
                TensorPrimitives.Add(row, rb, row);
            }

            if (w.Gating == ExpertGating.SoftmaxOverSelected)
            {
                MoeRouter.RouteSoftmaxOverSelected(lt, _experts, k, _selected + ((nint)t * k), _weights + ((nint)t * k), w.WeightsScale);
            }
            else
            {
                MoeRouter.Route(lt, _experts, k, _selected + ((nint)t * k), _weights + ((nint)t * k), w.WeightsScale, w.Normalize);
            }
        }

        // Counting sort of the n·k (token, slot) pairs by expert; within an expert, tokens keep batch order.
        new Span<int>(_starts, _experts + 1).Clear();
        for (int i = 0; i < n * k; i++)
        {
            _starts[_selected[i] + 1]++;
        }

        for (int e = 0; e < _experts; e++)
        {
            _starts[e + 1] += _starts[e];
            _fill[e] = _starts[e];
        }

        for (int t = 0; t < n; t++)
        {
            for (int j = 0; j < k; j++)
            {
                int r = _fill[_selected[(t * k) + j]]++;
                _rowOf[(t * k) + j] = r;
                Buffer.MemoryCopy(x + ((nint)t * _dim), _in + ((nint)r * _dim), _dim * sizeof(float), _dim * sizeof(float));
            }
        }

        for (int e = 0; e < _experts; e++)
        {
            int r0 = _starts[e], count = _starts[e + 1] - r0;
            if (count > 0)
            {
                var wg = w.Gate[e];
                var wu = w.Up[e];
                mm.Run(in wg, _gate + ((nint)r0 * _hidden), in wu, _up + ((nint)r0 * _hidden), _in + ((nint)r0 * _dim), count);
                if (w.GateBias is not null)
                {
                    AddRow(_gate + ((nint)r0 * _hidden), w.GateBias, e, _hidden, count);
                    AddRow(_up + ((nint)r0 * _hidden), w.UpBias!, e, _hidden, count);
                }
            }
        }

        SwiGlu(mm, _gate, _up, _sig, _hidden, n * k, w.SwiGluLimit, w.SwiGluAlpha);

        for (int e = 0; e < _experts; e++)
        {
            int r0 = _starts[e], count = _starts[e + 1] - r0;
            if (count > 0)
            {
                var wd = w.Down[e];
                mm.Run(in wd, _gate + ((nint)r0 * _hidden), count, _out + ((nint)r0 * _dim));
                if (w.DownBias is not null)
                {
                    AddRow(_out + ((nint)r0 * _dim), w.DownBias, e, _dim, count);
                }
            }
        }

        for (int t = 0; t < n; t++)
        {
            var yt = new Span<float>(y + ((nint)t * _dim), _dim);
            for (int j = 0; j < k; j++)
            {
                var o = new ReadOnlySpan<float>(_out + ((nint)_rowOf[(t * k) + j] * _dim), _dim);
                float wj = _weights[(t * k) + j];
                if (j == 0)
                {
                    TensorPrimitives.Multiply(o, wj, yt);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(o, wj, yt, yt);
                }
            }

            if (shared)
            {
                // sigmoid(l) = 1 / (1 + e^-l): llama.cpp computes it as silu(l) / l, equal up to rounding.
                float l = _shLogit[t];
                float gate = 1f / (1f + MathF.Exp(-l));
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(_shOut + ((nint)t * _dim), _dim), gate, yt, yt);
            }
        }
    }

    /// <summary>Adds expert <paramref name="expert"/>'s bias row (of <paramref name="bias"/> [experts, width]) to
    /// <paramref name="rows"/> consecutive rows of <paramref name="width"/> at <paramref name="y"/>.</summary>
    private static void AddRow(float* y, float[] bias, int expert, int width, int rows)
    {
        var b = new ReadOnlySpan<float>(bias, expert * width, width);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + ((nint)r * width), width);
            TensorPrimitives.Add(row, b, row);
        }
    }

    /// <summary>gate[r] = silu(gate[r]) ⊙ up[r] (the clamped SwiGLU when <paramref name="limit"/> &gt; 0) for
    /// <paramref name="rows"/> rows of <paramref name="width"/>, on the pool from 4 rows up.</summary>
    private void SwiGlu(MatMul mm, float* gate, float* up, float* sig, int width, int rows, float limit, float alpha)
    {
        if (rows >= 4)
        {
            _swiGlu.Gate = gate;
            _swiGlu.Up = up;
            _swiGlu.Sig = sig;
            _swiGlu.Hidden = width;
            _swiGlu.Limit = limit;
            _swiGlu.Alpha = alpha;
            mm.Pool.Run(_swiGlu, rows);
        }
        else if (limit > 0)
        {
            Activations.SwiGluClamped(new Span<float>(gate, rows * width), new ReadOnlySpan<float>(up, rows * width), new Span<float>(sig, rows * width), alpha, limit);
        }
        else
        {
            Activations.SwiGlu(new Span<float>(gate, rows * width), new ReadOnlySpan<float>(up, rows * width), new Span<float>(sig, rows * width));
        }
    }

    public void Dispose()
    {
        foreach (nint p in new[] { (nint)_logits, (nint)_weights, (nint)_in, (nint)_gate, (nint)_up, (nint)_sig, (nint)_out, (nint)_shLogit, (nint)_shGate, (nint)_shUp, (nint)_shSig, (nint)_shOut })
        {
            NativeMemory.AlignedFree((void*)p);
        }

        NativeMemory.Free(_selected);
        NativeMemory.Free(_rowOf);
        NativeMemory.Free(_starts);
        NativeMemory.Free(_fill);
        _logits = _weights = _in = _gate = _up = _sig = _out = _shLogit = _shGate = _shUp = _shSig = _shOut = null;
        _selected = _rowOf = _starts = _fill = null;
    }
}
