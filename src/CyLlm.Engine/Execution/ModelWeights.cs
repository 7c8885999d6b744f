using System.Runtime.InteropServices;
using CyLlm.Models;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Engine.Execution;

/// <summary>
/// The weights of a <see cref="LoadedModel"/> bound for computation. Matrices stay in the memory-mapped file
/// (no copy); only the small 1-D tensors (norms, Q/K head norms, biases) are decoded into float arrays, the norms
/// with <see cref="ModelConfig.NormWeightOffset"/> added (Hugging Face Gemma stores w for x̂·(1 + w)).
/// </summary>
internal sealed unsafe class ModelWeights : IDisposable
{
    private readonly List<nint> _owned = [];

    public ModelWeights(LoadedModel model)
    {
        var c = model.Config;
        Config = c;
        Model = model;
        int qDim = c.Heads * c.HeadDim;
        int kvDim = c.KvHeads * c.HeadDim;
        Embedding = model.Get("token_embd.weight");
        Expect(Embedding, c.Dim, c.VocabSize);
        float shift = c.NormWeightOffset;
        OutputNorm = Norm(model.Get("output_norm.weight"), c.Dim, shift);
        var output = model.TryGet("output.weight") ?? Embedding;
        Output = Matrix(output, c.VocabSize, c.Dim);
        Layers = new LayerWeights[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"blk.{i}.";
            // Phi-3 fuses Q/K/V into attn_qkv ([qDim + 2·kvDim, dim]: query rows, key rows, value rows) and the SwiGLU
            // gate and up into ffn_up ([2·hidden, dim]: gate rows, then up rows); each part is a row range viewed in place.
            var qkv = c.FusedQkv ? Slices(model.Get(p + "attn_qkv.weight"), c.Dim, qDim, kvDim, kvDim) : null;
            var gateUp = c.FusedGateUp && !c.IsMoe ? Slices(model.Get(p + "ffn_up.weight"), c.Dim, c.HiddenDim, c.HiddenDim) : null;
            Layers[i] = new LayerWeights
            {
                AttnNorm = Norm(model.Get(p + "attn_norm.weight"), c.Dim, shift),
                Wq = qkv?[0] ?? Matrix(model.Get(p + "attn_q.weight"), qDim, c.Dim),
                Wk = qkv?[1] ?? Matrix(model.Get(p + "attn_k.weight"), kvDim, c.Dim),
                Wv = qkv?[2] ?? Matrix(model.Get(p + "attn_v.weight"), kvDim, c.Dim),
                Wo = Matrix(model.Get(p + "attn_output.weight"), c.Dim, qDim),
                Bq = OptionalVector(model.TryGet(p + "attn_q.bias"), qDim),
                Bk = OptionalVector(model.TryGet(p + "attn_k.bias"), kvDim),
                Bv = OptionalVector(model.TryGet(p + "attn_v.bias"), kvDim),
                Bo = c.AttentionOutputBias ? Vector(model.Get(p + "attn_output.bias"), c.Dim) : null,
                Sinks = c.AttentionSinks ? Vector(model.Get(p + "attn_sinks.weight"), c.Heads) : null,
                QNorm = c.QkNorm ? Norm(model.Get(p + "attn_q_norm.weight"), c.HeadDim, shift) : null,
                KNorm = c.QkNorm ? Norm(model.Get(p + "attn_k_norm.weight"), c.HeadDim, shift) : null,
                AttnPostNorm = c.Gemma ? Norm(model.Get(p + "post_attention_norm.weight"), c.Dim, shift) : null,
                FfnNorm = Norm(model.Get(p + (c.FfnNormIsPostAttentionNorm ? "post_attention_norm.weight" : "ffn_norm.weight")), c.Dim, shift),
                FfnPostNorm = c.Gemma ? Norm(model.Get(p + "post_ffw_norm.weight"), c.Dim, shift) : null,
                Local = c.IsLocalLayer(i),
                WGate = c.IsMoe ? default : gateUp?[0] ?? Matrix(model.Get(p + "ffn_gate.weight"), c.HiddenDim, c.Dim),
                WUp = c.IsMoe ? default : gateUp?[1] ?? Matrix(model.Get(p + "ffn_up.weight"), c.HiddenDim, c.Dim),
                WDown = c.IsMoe ? default : Matrix(model.Get(p + "ffn_down.weight"), c.Dim, c.HiddenDim),
                Moe = c.IsMoe ? Experts(p) : null,
            };
        }

        var freqs = model.TryGet("rope_freqs.weight");
        int ropeDims = c.RopeDimensions > 0 ? c.RopeDimensions : c.HeadDim;
        // LongRoPE (Phi-3 128k, Phi-3.5): the short factors are the default, the long ones replace them for sessions
        // whose context exceeds the original one (InverseFrequenciesFor).
        float[]? shortFactors = model.TryGet("rope_factors_short.weight") is { } sf ? Vector(sf, ropeDims / 2) : c.ShortRopeFactors;
        float[]? longFactors = model.TryGet("rope_factors_long.weight") is { } lf ? Vector(lf, ropeDims / 2) : c.LongRopeFactors;
        float[] factors = freqs is not null ? Vector(freqs, ropeDims / 2)
            : shortFactors is not null ? shortFactors
            : c.RopeScaling is { } rs ? Rope.Llama3FreqFactors(ropeDims, c.RopeTheta, rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, rs.OriginalContextLength)
            : [];
        InverseFrequencies = Rope.InverseFrequencies(ropeDims, c.RopeTheta, factors);
        if (freqs is null && longFactors is not null)
        {
            LongInverseFrequencies = Rope.InverseFrequencies(ropeDims, c.RopeTheta, longFactors);
        }

        if (c.Yarn is { } yarn)
        {
            Rope.ApplyYarn(InverseFrequencies, ropeDims, c.RopeTheta, yarn.Factor, yarn.OriginalContextLength, yarn.ExtFactor, yarn.BetaFast, yarn.BetaSlow);
        }

        // The factor on cos/sin (ggml's mscale): YaRN's attention factor times the 0.1·ln(factor) + 1 that rope_yarn
        // adds when it extrapolates, else {arch}.rope.scaling.attn_factor (Phi-3 LongRoPE), else 1.
        RopeScale = c.Yarn is { } y ? y.AttnFactor * (y.ExtFactor != 0 ? 1f + (0.1f * MathF.Log(y.Factor)) : 1f)
            : c.RopeAttentionFactor > 0 ? c.RopeAttentionFactor : 1f;
        if (c.RopeLinearFactor > 0)
        {
            // Linear scaling (Gemma 3's global layers): angle = (position / factor) · θ_i, the same as θ_i / factor.
            for (int i = 0; i < InverseFrequencies.Length; i++)
            {
                InverseFrequencies[i] /= c.RopeLinearFactor;
            }
        }

        // Gemma 3's sliding layers rotate with their own base (10000) and no frequency factors, as llama.cpp's
        // get_rope_freq_base gives them; the same array when the bases agree, so the forward pass computes one set of angles.
        // A linear factor scales the global layers only, so the local ones then need their own array too.
        LocalInverseFrequencies = (c.LocalRopeTheta > 0 && c.LocalRopeTheta != c.RopeTheta) || c.RopeLinearFactor > 0
            ? Rope.InverseFrequencies(ropeDims, c.LocalRopeTheta > 0 ? c.LocalRopeTheta : c.RopeTheta, [])
            : InverseFrequencies;
        RopeDims = ropeDims;
    }

    public LoadedModel Model { get; }
    public ModelConfig Config { get; }
    public WeightTensor Embedding { get; }
    public float[] OutputNorm { get; }
    public QuantMatrix Output { get; }
    public LayerWeights[] Layers { get; }
    public float[] InverseFrequencies { get; }

    /// <summary>LongRoPE's long-factor inverse frequencies; null when the model has no LongRoPE factors.</summary>
    public float[]? LongInverseFrequencies { get; }

    /// <summary>Factor on every RoPE cos and sin (1 unless YaRN or an attention factor asks otherwise).</summary>
    public float RopeScale { get; }

    /// <summary>
    /// The (global-layer) inverse frequencies for a session of <paramref name="context"/> tokens: LongRoPE's long factors
    /// when it exceeds the original context (llama.cpp's get_rope_factors compares n_ctx_seq with n_ctx_orig_yarn),
    /// otherwise the default (short-factor) ones.
    /// </summary>
    public float[] InverseFrequenciesFor(int context)
    {
        int original = Config.RopeOriginalContext > 0 ? Config.RopeOriginalContext : Config.ContextLength;
        return LongInverseFrequencies is not null && context > original ? LongInverseFrequencies : InverseFrequencies;
    }

    /// <summary>The inverse frequencies of the sliding-window layers; the same array as <see cref="InverseFrequencies"/> when they agree.</summary>
    public float[] LocalInverseFrequencies { get; }
    public int RopeDims { get; }

    /// <summary>Decodes the embedding row of <paramref name="token"/> into <paramref name="dst"/> (length dim).</summary>
    public void EmbeddingRow(int token, float* dst)
    {
        long rowBytes = GgmlTypeInfo.RowBytes(Embedding.Type, Config.Dim);
        Dequantize.Row(Embedding.Type, (byte*)Embedding.Data + (token * rowBytes), dst, Config.Dim);
    }

    private static void Expect(WeightTensor t, long cols, long rows)
    {
        if (t.Shape.Length < 1 || t.Columns != cols || t.Rows != rows)
        {
            throw new ModelFormatException($"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{cols}, {rows}]");
        }

        if (!GgmlTypeInfo.IsSupported(t.Type))
        {
            throw new ModelFormatException($"tensor '{t.Name}' has unsupported type {t.Type}");
        }
    }

    private QuantMatrix Matrix(WeightTensor t, int rows, int cols)
    {
        Expect(t, cols, rows);
        byte* packed = RowPacking.TryRepack(t.Type, (byte*)t.Data, rows, cols);
        if (packed == null)
        {
            return new QuantMatrix(t.Type, rows, cols, (byte*)t.Data);
        }

        // The matrix runs from its rows-in-lanes copy; the mapped pages are handed back so the resident set
        // holds one copy of the weights, not two (they fault back in if the tensor is read again).
        _owned.Add((nint)packed);
        Model.ReleasePages(t.Data, t.ByteLength);
        return new QuantMatrix(t.Type, rows, cols, (byte*)t.Data) { Packed = packed };
    }

    /// <summary>
    /// Consecutive row ranges of a fused matrix ggml [cols, Σ rows] (row-major [Σ rows, cols]), each viewed in place as its
    /// own matrix (or repacked on its own where the type has a packed kernel; the mapped pages are then handed back once).
    /// </summary>
    private QuantMatrix[] Slices(WeightTensor t, int cols, params int[] rows)
    {
        Expect(t, cols, rows.Sum());
        long rowBytes = GgmlTypeInfo.RowBytes(t.Type, cols);
        var m = new QuantMatrix[rows.Length];
        long first = 0;
        bool packed = false;
        for (int s = 0; s < rows.Length; s++)
        {
            byte* data = (byte*)t.Data + (first * rowBytes);
            byte* repacked = RowPacking.TryRepack(t.Type, data, rows[s], cols);
            if (repacked == null)
            {
                m[s] = new QuantMatrix(t.Type, rows[s], cols, data);
            }
            else
            {
                _owned.Add((nint)repacked);
                packed = true;
                m[s] = new QuantMatrix(t.Type, rows[s], cols, data) { Packed = repacked };
            }

            first += rows[s];
        }

        if (packed)
        {
            Model.ReleasePages(t.Data, t.ByteLength);
        }

        return m;
    }

    private MoeWeights Experts(string p)
    {
        var c = Config;
        return new MoeWeights
        {
            Router = Matrix(Model.Get(p + "ffn_gate_inp.weight"), c.ExpertCount, c.Dim),
            Gate = ExpertMatrices(Model.Get(p + "ffn_gate_exps.weight"), c.HiddenDim, c.Dim),
            Up = ExpertMatrices(Model.Get(p + "ffn_up_exps.weight"), c.HiddenDim, c.Dim),
            Down = ExpertMatrices(Model.Get(p + "ffn_down_exps.weight"), c.Dim, c.HiddenDim),
            Used = c.ExpertUsedCount,
            WeightsScale = c.ExpertWeightsScale,
            Normalize = c.ExpertWeightsNormalized,
            Gating = c.ExpertGating,
            RouterBias = c.ExpertBiases ? Vector(Model.Get(p + "ffn_gate_inp.bias"), c.ExpertCount) : null,
            GateBias = c.ExpertBiases ? Vector(Model.Get(p + "ffn_gate_exps.bias"), c.ExpertCount * c.HiddenDim) : null,
            UpBias = c.ExpertBiases ? Vector(Model.Get(p + "ffn_up_exps.bias"), c.ExpertCount * c.HiddenDim) : null,
            DownBias = c.ExpertBiases ? Vector(Model.Get(p + "ffn_down_exps.bias"), c.ExpertCount * c.Dim) : null,
            SwiGluLimit = c.SwiGluLimit,
            SwiGluAlpha = c.SwiGluAlpha,
            SharedGateInput = c.SharedExpertHiddenDim > 0 ? Matrix(Model.Get(p + "ffn_gate_inp_shexp.weight"), 1, c.Dim) : null,
            SharedGate = c.SharedExpertHiddenDim > 0 ? Matrix(Model.Get(p + "ffn_gate_shexp.weight"), c.SharedExpertHiddenDim, c.Dim) : null,
            SharedUp = c.SharedExpertHiddenDim > 0 ? Matrix(Model.Get(p + "ffn_up_shexp.weight"), c.SharedExpertHiddenDim, c.Dim) : null,
            SharedDown = c.SharedExpertHiddenDim > 0 ? Matrix(Model.Get(p + "ffn_down_shexp.weight"), c.Dim, c.SharedExpertHiddenDim) : null,
        };
    }

    /// <summary>
    /// One matrix per expert of a merged tensor, ggml [cols, rows, experts]: expert e's [rows, cols] matrix is the
    /// contiguous slice at e·rows·rowBytes, viewed in place (or repacked per expert where the type has a packed kernel,
    /// like any other matrix, the mapped pages then handed back once for the whole tensor).
    /// </summary>
    private QuantMatrix[] ExpertMatrices(WeightTensor t, int rows, int cols)
    {
        int experts = Config.ExpertCount;
        if (t.Shape.Length != 3 || t.Shape[0] != cols || t.Shape[1] != rows || t.Shape[2] != experts)
        {
            throw new ModelFormatException($"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{cols}, {rows}, {experts}]");
        }

        if (!GgmlTypeInfo.IsSupported(t.Type))
        {
            throw new ModelFormatException($"tensor '{t.Name}' has unsupported type {t.Type}");
        }

        long bytes = GgmlTypeInfo.RowBytes(t.Type, cols) * rows;
        var m = new QuantMatrix[experts];
        bool packed = false;
        for (int e = 0; e < experts; e++)
        {
            byte* data = (byte*)t.Data + (e * bytes);
            byte* repacked = RowPacking.TryRepack(t.Type, data, rows, cols);
            if (repacked == null)
            {
                m[e] = new QuantMatrix(t.Type, rows, cols, data);
                continue;
            }

            _owned.Add((nint)repacked);
            packed = true;
            m[e] = new QuantMatrix(t.Type, rows, cols, data) { Packed = repacked };
        }

        if (packed)
        {
            Model.ReleasePages(t.Data, t.ByteLength);
        }

        return m;
    }

    public void Dispose()
    {
        foreach (var p in _owned)
        {
            NativeMemory.AlignedFree((void*)p);
        }

        _owned.Clear();
    }

    private static float[] Vector(WeightTensor t, int n)
    {
        if (t.ElementCount != n)
        {
            throw new ModelFormatException($"tensor '{t.Name}' has {t.ElementCount} elements, expected {n}");
        }

        // Pinned: the forward pass hands these to kernels by address.
        var v = GC.AllocateArray<float>(n, pinned: true);
        fixed (float* d = v)
        {
            Dequantize.Row(t.Type, (byte*)t.Data, d, n);
        }

        return v;
    }

    /// <summary>An RMSNorm weight with <paramref name="shift"/> added to every element.</summary>
    private static float[] Norm(WeightTensor t, int n, float shift)
    {
        var v = Vector(t, n);
        if (shift != 0)
        {
            for (int i = 0; i < v.Length; i++)
            {
                v[i] += shift;
            }
        }

        return v;
    }

    private static float[]? OptionalVector(WeightTensor? t, int n) => t is null ? null : Vector(t, n);
}
