using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using CyLlm.Engine.Lora;
using CyLlm.Models;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>
/// The Llama-family forward pass over a batch of tokens that may belong to different sequences: embedding
/// (×√dim for Gemma), per block RMSNorm → QKV (+bias) → per-head Q/K RMSNorm (Qwen3, Gemma 3) → RoPE (the local
/// base on Gemma 3's sliding layers) → cache write → causal attention (sliding window on local layers, logit
/// soft-cap for Gemma 2) → output projection (→ post-norm, Gemma) → residual, RMSNorm → SwiGLU FFN (GeGLU for
/// Gemma; → post-norm; or the mixture of experts of <see cref="MoeFeedForward"/>) → residual; final norm, the output
/// head for the rows that need logits, final soft-cap (Gemma 2). gpt-oss adds a bias to the output projection and a
/// per-head sink logit to every attention softmax (<see cref="AttentionJob.Sinks"/>).
/// All scratch memory is allocated once for <see cref="MaxBatch"/> tokens: the decode loop allocates nothing.
/// </summary>
internal sealed unsafe class ForwardPass : IDisposable
{
    private readonly ModelWeights _w;
    private readonly MatMul _mm;
    private readonly AttentionJob _attention;
    private readonly SwiGluJob _swiGlu = new();
    private readonly MoeFeedForward? _moe;   // the FFN of mixture-of-experts blocks, or null for a dense model
    private readonly int _dim, _qDim, _kvDim, _hidden, _vocab;
    private float* _x, _sig, _xb, _q, _k, _v, _att, _hb, _hb2, _logits, _cos, _sin, _normed;
    private float* _cosLocal, _sinLocal;   // [maxBatch, ropeDims/2] angles of the sliding layers' RoPE base (Gemma 3)
    private int* _positions, _sequences;
    private int* _runStarts;   // [maxBatch + 1] query runs of the current batch (see AttentionJob)
    private int _runs;
    private readonly float[] _inv, _localInv;   // [ropeDims/2] inverse frequencies of the global and the sliding layers for this context

    public ForwardPass(ModelWeights weights, WorkerPool pool, int maxBatch, int context)
    {
        _w = weights;
        var c = weights.Config;
        MaxBatch = maxBatch;
        _dim = c.Dim;
        _qDim = c.Heads * c.HeadDim;
        _kvDim = c.KvHeads * c.HeadDim;
        _hidden = c.HiddenDim;
        _vocab = c.VocabSize;
        _mm = new MatMul(pool);
        _attention = new AttentionJob(pool.ThreadCount, context, c.Heads / c.KvHeads, c.HeadDim, c.KvHeads * c.HeadDim);
        _x = Alloc(maxBatch * _dim);
        _xb = Alloc(maxBatch * Math.Max(_dim, _qDim));
        _q = Alloc(maxBatch * _qDim);
        _k = Alloc(maxBatch * _kvDim);
        _v = Alloc(maxBatch * _kvDim);
        _att = Alloc(maxBatch * _qDim);
        // The dense FFN's buffers; a mixture-of-experts model has its own in _moe.
        int denseHidden = c.IsMoe ? 0 : _hidden;
        _hb = Alloc(maxBatch * denseHidden);
        _hb2 = Alloc(maxBatch * denseHidden);
        _sig = Alloc(maxBatch * denseHidden);
        _logits = Alloc((long)maxBatch * _vocab);
        _normed = Alloc(maxBatch * _dim);
        _cos = Alloc(maxBatch * (weights.RopeDims / 2));
        _sin = Alloc(maxBatch * (weights.RopeDims / 2));
        _cosLocal = Alloc(maxBatch * (weights.RopeDims / 2));
        _sinLocal = Alloc(maxBatch * (weights.RopeDims / 2));
        _positions = (int*)NativeMemory.Alloc((nuint)maxBatch, sizeof(int));
        _adapters = new LoraAdapter?[maxBatch];
        _sequences = (int*)NativeMemory.Alloc((nuint)maxBatch, sizeof(int));
        _runStarts = (int*)NativeMemory.Alloc((nuint)maxBatch + 1, sizeof(int));
        _inv = weights.InverseFrequenciesFor(context);
        // The local layers keep their own frequencies (Gemma 3); where they equal the default ones they follow _inv.
        _localInv = ReferenceEquals(weights.LocalInverseFrequencies, weights.InverseFrequencies) ? _inv : weights.LocalInverseFrequencies;
        _moe = c.IsMoe ? new MoeFeedForward(c.Dim, c.HiddenDim, c.ExpertCount, c.ExpertUsedCount, maxBatch, c.SharedExpertHiddenDim) : null;
    }

    public int MaxBatch { get; }

    public ModelConfig Config => _w.Config;

    private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, floats) * sizeof(float)), 64);

    /// <summary>
    /// Runs the tokens through the model, writing their keys and values into <paramref name="cache"/>.
    /// <paramref name="logitRows"/> lists batch indices whose logits are wanted; their logits are returned
    /// in that order, [logitRows.Length, vocab], valid until the next call. With <paramref name="computeLogits"/>
    /// false the final normed hidden states of those rows are returned instead, [logitRows.Length, dim].
    /// </summary>
    public ReadOnlySpan<float> Forward(IKvCache cache, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences, ReadOnlySpan<int> logitRows, ReadOnlySpan<LoraAdapter?> adapters = default, bool computeLogits = true)
    {
        int n = tokens.Length;
        if (n == 0 || n > MaxBatch || positions.Length != n || sequences.Length != n || logitRows.Length > n)
        {
            throw new ArgumentException($"batch of {n} tokens does not fit (max {MaxBatch}) or spans differ in length");
        }

        var c = _w.Config;
        for (int i = 0; i < n; i++)
        {
            if ((uint)tokens[i] >= (uint)_vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} is outside the vocabulary (0..{_vocab - 1})");
            }

            _positions[i] = positions[i];
            _sequences[i] = sequences[i];
            _w.EmbeddingRow(tokens[i], _x + ((nint)i * _dim));
            if (c.Gemma)
            {
                // Gemma scales the embedding by √dim (llama.cpp: ggml_scale(inpL, sqrtf(n_embd))).
                var row = new Span<float>(_x + ((nint)i * _dim), _dim);
                TensorPrimitives.Multiply(row, MathF.Sqrt(_dim), row);
            }
        }

        _anyAdapter = false;
        for (int i = 0; i < n; i++)
        {
            _adapters[i] = adapters.IsEmpty ? null : adapters[i];
            _anyAdapter |= _adapters[i] is not null;
        }

        _runs = AttentionJob.SplitRuns(_positions, _sequences, n, _runStarts);
        int half = _w.RopeDims / 2;
        for (int i = 0; i < n; i++)
        {
            Rope.Angles(positions[i], _inv, new Span<float>(_cos + ((nint)i * half), half), new Span<float>(_sin + ((nint)i * half), half));
            if (!ReferenceEquals(_localInv, _inv))
            {
                Rope.Angles(positions[i], _localInv, new Span<float>(_cosLocal + ((nint)i * half), half), new Span<float>(_sinLocal + ((nint)i * half), half));
            }
        }

        if (_w.RopeScale != 1f)
        {
            // ggml's mscale (LongRoPE's or YaRN's attention factor) multiplies cos and sin, so both q and k are scaled.
            foreach (nint p in (ReadOnlySpan<nint>)[(nint)_cos, (nint)_sin, (nint)_cosLocal, (nint)_sinLocal])
            {
                var span = new Span<float>((float*)p, n * half);
                TensorPrimitives.Multiply(span, _w.RopeScale, span);
            }
        }

        for (int l = 0; l < c.Layers; l++)
        {
            Layer(cache, l, n);
        }

        int rows = logitRows.Length;
        for (int r = 0; r < rows; r++)
        {
            int i = logitRows[r];
            Debug.Assert((uint)i < (uint)n);
            RmsNorm.Apply(new ReadOnlySpan<float>(_x + ((nint)i * _dim), _dim), _w.OutputNorm, new Span<float>(_normed + ((nint)r * _dim), _dim), c.RmsNormEps);
        }

        if (rows > 0 && computeLogits)
        {
            var output = _w.Output;
            _mm.Run(in output, _normed, rows, _logits);
            if (_anyAdapter)
            {
                ApplyOutputLora(logitRows);
            }

            if (c.FinalLogitSoftcap > 0)
            {
                Activations.SoftCap(new Span<float>(_logits, rows * _vocab), c.FinalLogitSoftcap);
            }
        }

        return computeLogits ? new ReadOnlySpan<float>(_logits, rows * _vocab) : new ReadOnlySpan<float>(_normed, rows * _dim);
    }

    /// <summary>The final hidden state (after the output norm) of the last logit row; for embeddings.</summary>
    public ReadOnlySpan<float> LastNormedHidden(int row) => new(_normed + ((nint)row * _dim), _dim);

    private void Layer(IKvCache cache, int l, int n)
    {
        var c = _w.Config;
        var lw = _w.Layers[l];
        float eps = c.RmsNormEps;
        RmsNorm.Rows(_x, Pin(lw.AttnNorm), _xb, n, _dim, eps);
        var wq = lw.Wq;
        var wk = lw.Wk;
        var wv = lw.Wv;
        _mm.Run(in wq, _q, in wk, _k, in wv, _v, _xb, n);
        if (_anyAdapter)
        {
            ApplyLora(l, LoraTarget.Q, _xb, _dim, _q, _qDim, n);
            ApplyLora(l, LoraTarget.K, _xb, _dim, _k, _kvDim, n);
            ApplyLora(l, LoraTarget.V, _xb, _dim, _v, _kvDim, n);
        }

        int half = _w.RopeDims / 2;
        for (int i = 0; i < n; i++)
        {
            float* q = _q + ((nint)i * _qDim);
            float* k = _k + ((nint)i * _kvDim);
            float* v = _v + ((nint)i * _kvDim);
            if (lw.Bq is not null)
            {
                AddInPlace(q, lw.Bq, _qDim);
                AddInPlace(k, lw.Bk!, _kvDim);
                AddInPlace(v, lw.Bv!, _kvDim);
            }

            if (lw.QNorm is not null)
            {
                // Qwen3: q is [heads, headDim] and k is [kvHeads, headDim] for this token; each head vector is
                // RMS-normalised on its own with the layer's [headDim] weight, after bias/LoRA and before RoPE
                // (llama.cpp's build_norm on Qcur/Kcur), so the cache holds normed, rotated keys.
                RmsNorm.Rows(q, Pin(lw.QNorm), q, c.Heads, c.HeadDim, c.RmsNormEps);
                RmsNorm.Rows(k, Pin(lw.KNorm!), k, c.KvHeads, c.HeadDim, c.RmsNormEps);
            }

            bool localAngles = lw.Local && !ReferenceEquals(_localInv, _inv);
            float* cs = (localAngles ? _cosLocal : _cos) + ((nint)i * half);
            float* sn = (localAngles ? _sinLocal : _sin) + ((nint)i * half);
            if (c.RopeLayout == RopeLayout.Interleaved)
            {
                Rope.Interleaved(q, c.Heads, c.HeadDim, _w.RopeDims, cs, sn);
                Rope.Interleaved(k, c.KvHeads, c.HeadDim, _w.RopeDims, cs, sn);
            }
            else
            {
                Rope.HalfSplit(q, c.Heads, c.HeadDim, _w.RopeDims, cs, sn);
                Rope.HalfSplit(k, c.KvHeads, c.HeadDim, _w.RopeDims, cs, sn);
            }

            int pos = _positions[i];
            int bt = cache.BlockTokens;
            int block = pos / bt;
            int slot = pos % bt;
            byte* kd = (byte*)cache.KeyBlock(l, _sequences[i], block) + ((nint)slot * cache.RowBytes);
            byte* vd = (byte*)cache.ValueBlock(l, _sequences[i], block) + ((nint)slot * cache.RowBytes);
            switch (cache.Type)
            {
                case KvCache.KvCacheType.F16:
                    TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(k, _kvDim), new Span<Half>(kd, _kvDim));
                    TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(v, _kvDim), new Span<Half>(vd, _kvDim));
                    break;
                case KvCache.KvCacheType.Q8_0:
                    AttentionKernel.QuantizeQ8_0(k, kd, _kvDim);
                    AttentionKernel.QuantizeQ8_0(v, vd, _kvDim);
                    break;
                default:
                    Buffer.MemoryCopy(k, kd, _kvDim * sizeof(float), _kvDim * sizeof(float));
                    Buffer.MemoryCopy(v, vd, _kvDim * sizeof(float), _kvDim * sizeof(float));
                    break;
            }
        }

        _attention.Cache = cache;
        _attention.Layer = l;
        _attention.Heads = c.Heads;
        _attention.KvHeads = c.KvHeads;
        _attention.HeadDim = c.HeadDim;
        _attention.Q = _q;
        _attention.Out = _att;
        _attention.Positions = _positions;
        _attention.Sequences = _sequences;
        _attention.RunStarts = _runStarts;
        _attention.Scale = c.AttentionScale;
        _attention.Softcap = c.AttentionSoftcap;
        _attention.Window = lw.Local ? c.SlidingWindow : 0;
        _attention.Sinks = lw.Sinks is null ? null : Pin(lw.Sinks);
        _mm.Pool.Run(_attention, _runs * c.KvHeads);

        var wo = lw.Wo;
        _mm.Run(in wo, _att, n, _xb);
        if (lw.Bo is not null)
        {
            for (int i = 0; i < n; i++)
            {
                AddInPlace(_xb + ((nint)i * _dim), lw.Bo, _dim);
            }
        }

        if (_anyAdapter)
        {
            ApplyLora(l, LoraTarget.O, _att, _qDim, _xb, _dim, n);
        }

        if (lw.AttnPostNorm is not null)
        {
            RmsNorm.Rows(_xb, Pin(lw.AttnPostNorm), _xb, n, _dim, eps);
        }

        AddInPlace(_x, _xb, n * _dim);

        RmsNorm.Rows(_x, Pin(lw.FfnNorm), _xb, n, _dim, eps);
        if (lw.Moe is { } moe)
        {
            // Mixture of experts: the normed rows _xb [n, dim] are replaced in place by the experts' weighted sum.
            _moe!.Run(_mm, moe, _xb, _xb, n);
            AddInPlace(_x, _xb, n * _dim);
            return;
        }

        var wg = lw.WGate;
        var wu = lw.WUp;
        _mm.Run(in wg, _hb, in wu, _hb2, _xb, n);
        if (_anyAdapter)
        {
            ApplyLora(l, LoraTarget.Gate, _xb, _dim, _hb, _hidden, n);
            ApplyLora(l, LoraTarget.Up, _xb, _dim, _hb2, _hidden, n);
        }

        if (n >= 4)
        {
            _swiGlu.Gate = _hb;
            _swiGlu.Up = _hb2;
            _swiGlu.Sig = _sig;
            _swiGlu.Hidden = _hidden;
            _swiGlu.Gelu = c.Gemma;
            _mm.Pool.Run(_swiGlu, n);
        }
        else if (c.Gemma)
        {
            Activations.GeGlu(new Span<float>(_hb, n * _hidden), new ReadOnlySpan<float>(_hb2, n * _hidden), new Span<float>(_sig, n * _hidden));
        }
        else
        {
            var gate = new Span<float>(_hb, n * _hidden);
            Activations.SwiGlu(gate, new ReadOnlySpan<float>(_hb2, n * _hidden), new Span<float>(_sig, n * _hidden));
        }
        var wd = lw.WDown;
        _mm.Run(in wd, _hb, n, _xb);
        if (_anyAdapter)
        {
            ApplyLora(l, LoraTarget.Down, _hb, _hidden, _xb, _dim, n);
        }

        if (lw.FfnPostNorm is not null)
        {
            RmsNorm.Rows(_xb, Pin(lw.FfnPostNorm), _xb, n, _dim, eps);
        }

        AddInPlace(_x, _xb, n * _dim);
    }

    private readonly LoraAdapter?[] _adapters;
    private bool _anyAdapter;
    private float[] _loraTmp = new float[64];

    /// <summary>y_i += scale·B·(A·x_i) for every token whose adapter adapts this projection; each row
    /// uses its own adapter, so neighbours in a batch never affect one another.</summary>
    private void ApplyLora(int layer, LoraTarget target, float* x, int inDim, float* y, int outDim, int n)
    {
        for (int i = 0; i < n; i++)
        {
            var adapter = _adapters[i];
            var w = adapter?.Get(layer, target);
            if (w is null)
            {
                continue;
            }

            AddLoraRow(w, adapter!.Scale, x + ((nint)i * inDim), y + ((nint)i * outDim), inDim, outDim);
        }
    }

    /// <summary>y[outDim] += scale·B·(A·x[inDim]) for one row.</summary>
    private void AddLoraRow(LoraWeights w, float scale, float* xi, float* yi, int inDim, int outDim)
    {
        if (_loraTmp.Length < w.Rank)
        {
            _loraTmp = new float[w.Rank];
        }

        fixed (float* a = w.A, b = w.B, tmp = _loraTmp)
        {
            for (int r = 0; r < w.Rank; r++)
            {
                tmp[r] = VecDot.F32(a + ((nint)r * inDim), xi, inDim);
            }

            for (int o = 0; o < outDim; o++)
            {
                yi[o] += scale * VecDot.F32(b + ((nint)o * w.Rank), tmp, w.Rank);
            }
        }
    }

    /// <summary>logits_r += scale·B·(A·normed_r) for each logit row whose token's adapter adapts the output head.</summary>
    private void ApplyOutputLora(ReadOnlySpan<int> logitRows)
    {
        for (int r = 0; r < logitRows.Length; r++)
        {
            var adapter = _adapters[logitRows[r]];
            if (adapter?.Output is not { } w)
            {
                continue;
            }

            AddLoraRow(w, adapter.Scale, _normed + ((nint)r * _dim), _logits + ((nint)r * _vocab), _dim, _vocab);
        }
    }

    private static float* Pin(float[] array) => (float*)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);

    private static void AddInPlace(float* x, float* y, int n)
    {
        var xs = new Span<float>(x, n);
        TensorPrimitives.Add(xs, new ReadOnlySpan<float>(y, n), xs);
    }

    private static void AddInPlace(float* x, float[] y, int n)
    {
        var xs = new Span<float>(x, n);
        TensorPrimitives.Add(xs, y, xs);
    }

    public void Dispose()
    {
        foreach (nint p in new[] { (nint)_x, (nint)_xb, (nint)_q, (nint)_k, (nint)_v, (nint)_att, (nint)_hb, (nint)_hb2, (nint)_sig, (nint)_logits, (nint)_normed, (nint)_cos, (nint)_sin, (nint)_cosLocal, (nint)_sinLocal })
        {
            NativeMemory.AlignedFree((void*)p);
        }

        NativeMemory.Free(_positions);
        NativeMemory.Free(_sequences);
        NativeMemory.Free(_runStarts);
        _mm.Dispose();
        _attention.Dispose();
        _moe?.Dispose();
    }
}
