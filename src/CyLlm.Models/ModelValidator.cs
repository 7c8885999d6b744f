using CyLlm.Tensors;

namespace CyLlm.Models;

/// <summary>
/// Checks, for every format, that a model's configuration is sane and that its tensors (under canonical GGUF
/// names) are exactly those the Llama/Qwen2/Qwen3(-MoE)/Gemma/Phi-3/gpt-oss forward pass uses, with the shapes the configuration implies. A
/// weight that is present but would be ignored (an output bias, a shared expert) is an error, as it is in
/// llama.cpp ("wrong number of tensors"): silently skipping it would give wrong output.
/// </summary>
internal static class ModelValidator
{
    // Generous upper bounds: larger values are corrupt headers, not models.
    private const int MaxDim = 1 << 17;
    private const int MaxLayers = 4096;
    private const int MaxHeads = 4096;
    private const int MaxVocab = 1 << 22;
    private const int MaxExperts = 1024;

    public static void Validate(ModelConfig c, IReadOnlyDictionary<string, WeightTensor> tensors, string file)
    {
        ValidateConfig(c, file);
        int qDim = c.Heads * c.HeadDim;
        int kvDim = c.KvHeads * c.HeadDim;
        var expected = new Dictionary<string, (long Cols, long Rows)>(StringComparer.Ordinal)
        {
            ["token_embd.weight"] = (c.Dim, c.VocabSize),
            ["output_norm.weight"] = (c.Dim, 1),
        };
        if (!c.TiedEmbeddings)
        {
            expected["output.weight"] = (c.Dim, c.VocabSize);
        }

        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"blk.{i}.";
            expected[p + "attn_norm.weight"] = (c.Dim, 1);
            if (c.FusedQkv)
            {
                expected[p + "attn_qkv.weight"] = (c.Dim, qDim + (2 * kvDim));
            }
            else
            {
                expected[p + "attn_q.weight"] = (c.Dim, qDim);
                expected[p + "attn_k.weight"] = (c.Dim, kvDim);
                expected[p + "attn_v.weight"] = (c.Dim, kvDim);
            }

            expected[p + "attn_output.weight"] = (qDim, c.Dim);
            expected[p + (c.FfnNormIsPostAttentionNorm ? "post_attention_norm.weight" : "ffn_norm.weight")] = (c.Dim, 1);
            if (c.AttentionOutputBias)
            {
                expected[p + "attn_output.bias"] = (c.Dim, 1);
            }

            if (c.AttentionSinks)
            {
                // One sink logit per query head.
                expected[p + "attn_sinks.weight"] = (c.Heads, 1);
            }
            if (c.IsMoe)
            {
                // The router and the merged experts; the 3-D shapes are checked exactly below (an [ff·E, dim]
                // 2-D tensor would pass the element count but is not E matrices).
                expected[p + "ffn_gate_inp.weight"] = (c.Dim, c.ExpertCount);
                expected[p + "ffn_gate_exps.weight"] = (c.Dim, (long)c.HiddenDim * c.ExpertCount);
                expected[p + "ffn_up_exps.weight"] = (c.Dim, (long)c.HiddenDim * c.ExpertCount);
                expected[p + "ffn_down_exps.weight"] = (c.HiddenDim, (long)c.Dim * c.ExpertCount);
                if (c.ExpertBiases)
                {
                    // ggml [n, experts]: one bias row per expert (the router's: one logit bias per expert).
                    expected[p + "ffn_gate_inp.bias"] = (c.ExpertCount, 1);
                    expected[p + "ffn_gate_exps.bias"] = (c.HiddenDim, c.ExpertCount);
                    expected[p + "ffn_up_exps.bias"] = (c.HiddenDim, c.ExpertCount);
                    expected[p + "ffn_down_exps.bias"] = (c.Dim, c.ExpertCount);
                }

                if (c.SharedExpertHiddenDim > 0)
                {
                    // The shared expert: its sigmoid gate is one [dim] row, its FFN a dense SwiGLU of its own width.
                    expected[p + "ffn_gate_inp_shexp.weight"] = (c.Dim, 1);
                    expected[p + "ffn_gate_shexp.weight"] = (c.Dim, c.SharedExpertHiddenDim);
                    expected[p + "ffn_up_shexp.weight"] = (c.Dim, c.SharedExpertHiddenDim);
                    expected[p + "ffn_down_shexp.weight"] = (c.SharedExpertHiddenDim, c.Dim);
                }
            }
            else if (c.FusedGateUp)
            {
                expected[p + "ffn_up.weight"] = (c.Dim, 2L * c.HiddenDim);
                expected[p + "ffn_down.weight"] = (c.HiddenDim, c.Dim);
            }
            else
            {
                expected[p + "ffn_gate.weight"] = (c.Dim, c.HiddenDim);
                expected[p + "ffn_up.weight"] = (c.Dim, c.HiddenDim);
                expected[p + "ffn_down.weight"] = (c.HiddenDim, c.Dim);
            }

            if (c.AttentionBias)
            {
                expected[p + "attn_q.bias"] = (qDim, 1);
                expected[p + "attn_k.bias"] = (kvDim, 1);
                expected[p + "attn_v.bias"] = (kvDim, 1);
            }

            if (c.QkNorm)
            {
                // One weight per head dimension, shared by every query (resp. key) head of the layer.
                expected[p + "attn_q_norm.weight"] = (c.HeadDim, 1);
                expected[p + "attn_k_norm.weight"] = (c.HeadDim, 1);
            }

            if (c.Gemma)
            {
                // Gemma normalises the attention and FFN outputs before each residual add.
                expected[p + "post_attention_norm.weight"] = (c.Dim, 1);
                expected[p + "post_ffw_norm.weight"] = (c.Dim, 1);
            }
        }

        foreach (var (name, (cols, rows)) in expected)
        {
            if (!tensors.TryGetValue(name, out var t))
            {
                // Q/K/V may come separately or fused (Phi-3); name both when neither is there.
                string fused = !c.FusedQkv && name.EndsWith(".attn_q.weight", StringComparison.Ordinal) ? $" (and so is the fused {name.Replace(".attn_q.", ".attn_qkv.", StringComparison.Ordinal)})" : "";
                throw new ModelFormatException($"{file}: tensor {name} is missing{fused}");
            }

            CheckShape(t, cols, rows, file);
        }

        for (int i = 0; c.IsMoe && i < c.Layers; i++)
        {
            string p = $"blk.{i}.";
            CheckExperts(tensors[p + "ffn_gate_exps.weight"], c.Dim, c.HiddenDim, c.ExpertCount, file);
            CheckExperts(tensors[p + "ffn_up_exps.weight"], c.Dim, c.HiddenDim, c.ExpertCount, file);
            CheckExperts(tensors[p + "ffn_down_exps.weight"], c.HiddenDim, c.Dim, c.ExpertCount, file);
        }

        int ropeDims = c.RopeDimensions > 0 ? c.RopeDimensions : c.HeadDim;
        foreach (var (name, t) in tensors)
        {
            if (expected.ContainsKey(name))
            {
                continue;
            }

            if (name is "rope_factors_long.weight" or "rope_factors_short.weight")
            {
                // LongRoPE (Phi-3 128k, Phi-3.5): per-pair frequency divisors, one set for every layer.
                CheckShape(t, ropeDims / 2, 1, file);
                if (!tensors.ContainsKey("rope_factors_long.weight") || !tensors.ContainsKey("rope_factors_short.weight"))
                {
                    throw new ModelFormatException($"{file}: tensor {name} is present without its LongRoPE counterpart (rope_factors_long.weight and rope_factors_short.weight come together)");
                }

                continue;
            }

            if (name == "rope_freqs.weight")
            {
                // Llama 3 frequency factors, one per rotated pair (llama.cpp's converter bakes rope_scaling into it).
                CheckShape(t, ropeDims / 2, 1, file);
                continue;
            }

            throw new ModelFormatException(name.EndsWith("attn_q.bias", StringComparison.Ordinal) || name.EndsWith("attn_k.bias", StringComparison.Ordinal) || name.EndsWith("attn_v.bias", StringComparison.Ordinal)
                ? $"{file}: tensor {name} is present but the other Q/K/V biases are not (all of attn_q/k/v.bias are needed in every layer)"
                : $"{file}: tensor {name} is not used by CyLlm's {c.Architecture} forward pass (unsupported model variant)");
        }
    }

    private static void ValidateConfig(ModelConfig c, string file)
    {
        if (c.ExpertCount < 0 || c.ExpertCount > MaxExperts || (c.ExpertCount > 0 && (c.ExpertUsedCount < 1 || c.ExpertUsedCount > c.ExpertCount))
            || !float.IsFinite(c.ExpertWeightsScale) || c.SharedExpertHiddenDim < 0 || c.SharedExpertHiddenDim > 8 * MaxDim
            || (c.SharedExpertHiddenDim > 0 && c.ExpertCount == 0))
        {
            throw new ModelFormatException($"{file}: mixture-of-experts settings (experts {c.ExpertCount}, used {c.ExpertUsedCount}, weights scale {c.ExpertWeightsScale}, shared expert width {c.SharedExpertHiddenDim}) are not valid");
        }

        if ((c.ExpertBiases && c.ExpertCount == 0) || !Enum.IsDefined(c.ExpertGating) || !(float.IsFinite(c.SwiGluLimit) && c.SwiGluLimit >= 0)
            || (c.SwiGluLimit > 0 && !(float.IsFinite(c.SwiGluAlpha) && c.SwiGluAlpha > 0)))
        {
            throw new ModelFormatException($"{file}: FFN settings (expert biases {c.ExpertBiases} with {c.ExpertCount} experts, gating {c.ExpertGating}, SwiGLU limit {c.SwiGluLimit}, alpha {c.SwiGluAlpha}) are not valid");
        }

        bool ok = c.Dim is > 0 and <= MaxDim && c.HiddenDim is > 0 and <= 8 * MaxDim && c.Layers is > 0 and <= MaxLayers
            && c.Heads is > 0 and <= MaxHeads && c.KvHeads is > 0 and <= MaxHeads && c.Heads % c.KvHeads == 0
            && c.HeadDim is > 0 and <= MaxDim && c.HeadDim % 2 == 0 && c.VocabSize is > 0 and <= MaxVocab
            && c.ContextLength > 0;
        if (!ok)
        {
            throw new ModelFormatException($"{file}: inconsistent hyperparameters (dim {c.Dim}, ffn {c.HiddenDim}, layers {c.Layers}, heads {c.Heads}, kv heads {c.KvHeads}, head dim {c.HeadDim}, vocab {c.VocabSize}, context {c.ContextLength})");
        }

        int ropeDims = c.RopeDimensions > 0 ? c.RopeDimensions : c.HeadDim;
        if (ropeDims % 2 != 0 || ropeDims > c.HeadDim || c.RopeDimensions < 0)
        {
            throw new ModelFormatException($"{file}: RoPE dimension count {c.RopeDimensions} must be even and at most the head dimension {c.HeadDim}");
        }

        if (!(float.IsFinite(c.RmsNormEps) && c.RmsNormEps > 0 && c.RmsNormEps < 1))
        {
            throw new ModelFormatException($"{file}: RMS norm epsilon {c.RmsNormEps} is not a small positive number");
        }

        if (!(float.IsFinite(c.RopeTheta) && c.RopeTheta > 1))
        {
            throw new ModelFormatException($"{file}: RoPE base frequency {c.RopeTheta} is not a number above 1");
        }

        if (!(float.IsFinite(c.AttentionScale) && c.AttentionScale >= 0 && float.IsFinite(c.AttentionSoftcap) && c.AttentionSoftcap >= 0
            && float.IsFinite(c.FinalLogitSoftcap) && c.FinalLogitSoftcap >= 0 && float.IsFinite(c.NormWeightOffset)))
        {
            throw new ModelFormatException($"{file}: attention scale {c.AttentionScale}, soft-caps {c.AttentionSoftcap}/{c.FinalLogitSoftcap} or norm offset {c.NormWeightOffset} are not valid");
        }

        if (!(float.IsFinite(c.RopeLinearFactor) && (c.RopeLinearFactor == 0 || c.RopeLinearFactor >= 1)))
        {
            throw new ModelFormatException($"{file}: linear RoPE scaling factor {c.RopeLinearFactor} is not valid");
        }

        if (c.SlidingWindow < 0 || c.SlidingWindowPattern < 0 || !(c.LocalRopeTheta == 0 || (float.IsFinite(c.LocalRopeTheta) && c.LocalRopeTheta > 1)))
        {
            throw new ModelFormatException($"{file}: sliding window {c.SlidingWindow} (pattern {c.SlidingWindowPattern}) or local RoPE base {c.LocalRopeTheta} is not valid");
        }

        if (!(float.IsFinite(c.RopeAttentionFactor) && c.RopeAttentionFactor >= 0) || c.RopeOriginalContext < 0)
        {
            throw new ModelFormatException($"{file}: RoPE attention factor {c.RopeAttentionFactor} or original context {c.RopeOriginalContext} is not valid");
        }

        if ((c.LongRopeFactors is null) != (c.ShortRopeFactors is null) || (c.LongRopeFactors is { } lf && (lf.Length != ropeDims / 2 || c.ShortRopeFactors!.Length != ropeDims / 2
            || !lf.Concat(c.ShortRopeFactors).All(f => float.IsFinite(f) && f > 0))))
        {
            throw new ModelFormatException($"{file}: LongRoPE long and short factors must both be given, {ropeDims / 2} positive numbers each (one per rotated pair)");
        }

        if (c.Yarn is { } y && !(float.IsFinite(y.Factor) && y.Factor >= 1 && y.OriginalContextLength > 0 && float.IsFinite(y.ExtFactor) && y.ExtFactor >= 0
            && float.IsFinite(y.AttnFactor) && y.AttnFactor > 0 && float.IsFinite(y.BetaFast) && float.IsFinite(y.BetaSlow) && y.BetaFast > 0 && y.BetaSlow > 0))
        {
            throw new ModelFormatException($"{file}: YaRN RoPE scaling (factor {y.Factor}, original context {y.OriginalContextLength}, ext {y.ExtFactor}, attn {y.AttnFactor}, beta fast {y.BetaFast}, slow {y.BetaSlow}) is not valid");
        }

        if (c.RopeScaling is { } s && !(float.IsFinite(s.Factor) && s.Factor >= 1 && float.IsFinite(s.LowFreqFactor) && float.IsFinite(s.HighFreqFactor)
            && s.HighFreqFactor > s.LowFreqFactor && s.LowFreqFactor > 0 && s.OriginalContextLength > 0))
        {
            throw new ModelFormatException($"{file}: llama3 RoPE scaling (factor {s.Factor}, low {s.LowFreqFactor}, high {s.HighFreqFactor}, original context {s.OriginalContextLength}) is not valid");
        }
    }

    /// <summary>A merged expert tensor: ggml [cols, rows, experts], so expert e's [rows, cols] matrix is the e-th
    /// contiguous slice (the engine views each slice as a matrix without copying).</summary>
    private static void CheckExperts(WeightTensor t, long cols, long rows, long experts, string file)
    {
        if (t.Shape.Length != 3 || t.Shape[0] != cols || t.Shape[1] != rows || t.Shape[2] != experts)
        {
            throw new ModelFormatException($"{file}: tensor {t.Name} has shape [{string.Join(", ", t.Shape)}], expected [{cols}, {rows}, {experts}] (ggml order: one [{rows} x {cols}] matrix per expert)");
        }
    }

    private static void CheckShape(WeightTensor t, long cols, long rows, string file)
    {
        // Trailing dimensions of 1 are tolerated ([n] and [n, 1] describe the same vector).
        if (t.Columns != cols || t.ElementCount != cols * rows)
        {
            throw new ModelFormatException($"{file}: tensor {t.Name} has shape [{string.Join(", ", t.Shape)}], expected [{cols}{(rows == 1 ? "" : $", {rows}")}] (ggml order) for this configuration");
        }

        if (!GgmlTypeInfo.IsSupported(t.Type))
        {
            throw new ModelFormatException($"{file}: tensor {t.Name} has unsupported type {t.Type}");
        }
    }
}
