using System.Text.Json;

namespace CyLlm.Models.Safetensors;

/// <summary>config.json → <see cref="ModelConfig"/>, with transformers' defaults for keys a config leaves out.</summary>
public static partial class HfModelLoader
{
    private static ModelConfig Config(JsonElement cfg, Dictionary<string, WeightTensor> tensors, string folder)
    {
        string modelType = HfJson.Str(cfg, "model_type") ?? ArchitectureModelType(cfg) ?? "";
        var arch = modelType switch
        {
            "llama" or "mistral" or "mixtral" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "qwen2_moe" => ModelArchitecture.Qwen2Moe,
            "qwen3" => ModelArchitecture.Qwen3,
            "qwen3_moe" => ModelArchitecture.Qwen3Moe,
            "gemma2" => ModelArchitecture.Gemma2,
            "gemma3_text" => ModelArchitecture.Gemma3,
            "phi3" => ModelArchitecture.Phi3,
            "gemma3" => throw new ModelFormatException("config.json model_type 'gemma3' is the multimodal Gemma 3 checkpoint (language_model.* tensors under text_config), which CyLlm does not load; use its GGUF or a gemma3_text (Gemma3ForCausalLM) checkpoint"),
            _ => throw new ModelFormatException($"config.json model_type '{modelType}' is not supported (supported: llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma2, gemma3_text, phi3)"),
        };
        bool gemma = arch is ModelArchitecture.Gemma2 or ModelArchitecture.Gemma3;
        // Gemma configs name the activation hidden_activation (hidden_act is a legacy alias); both must be tanh GELU.
        string expectedAct = gemma ? "gelu_pytorch_tanh" : "silu";
        foreach (var key in (ReadOnlySpan<string>)["hidden_act", "hidden_activation"])
        {
            if (HfJson.Str(cfg, key) is { } act && act != expectedAct && !(gemma && key == "hidden_act" && HfJson.Str(cfg, "hidden_activation") is not null))
            {
                throw new ModelFormatException($"config.json {key} '{act}' is not supported ({arch} models use {expectedAct})");
            }
        }

        int dim = Req(cfg, "hidden_size");
        int heads = Req(cfg, "num_attention_heads");
        int kvHeads = HfJson.Int(cfg, "num_key_value_heads") ?? heads;
        int? explicitHeadDim = HfJson.Int(cfg, "head_dim");
        if (explicitHeadDim is null && dim % heads != 0)
        {
            throw new ModelFormatException($"config.json: hidden_size {dim} is not a multiple of num_attention_heads {heads} and head_dim is absent");
        }

        int headDim = explicitHeadDim ?? (dim / heads);
        int ropeDims = headDim;
        if (HfJson.Float(cfg, "partial_rotary_factor") is float partial && partial != 1f)
        {
            ropeDims = (int)(headDim * partial);
        }

        // transformers v5 moves rope_theta and the scaling into "rope_parameters".
        var ropeParams = HfJson.Obj(cfg, "rope_parameters");
        float theta = HfJson.Float(cfg, "rope_theta") ?? (ropeParams is { } rp ? HfJson.Float(rp, "rope_theta") : null) ?? 10000f;
        // transformers' Gemma configs tie the output head by default; the Llama-family ones do not.
        bool tied = HfJson.Bool(cfg, "tie_word_embeddings") ?? gemma;
        var scaling = HfJson.Obj(cfg, "rope_scaling") ?? ropeParams;
        string? scalingType = scaling is { } st ? HfJson.Str(st, "rope_type") ?? HfJson.Str(st, "type") : null;
        int context = HfJson.Int(cfg, "max_position_embeddings") ?? 2048;
        int originalContext = (scaling is { } so ? HfJson.Int(so, "original_max_position_embeddings") : null) ?? HfJson.Int(cfg, "original_max_position_embeddings") ?? 0;
        var config = new ModelConfig
        {
            Architecture = arch,
            Dim = dim,
            HiddenDim = Req(cfg, "intermediate_size"),
            Layers = Req(cfg, "num_hidden_layers"),
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Req(cfg, "vocab_size"),
            ContextLength = context,
            // transformers' LlamaConfig/MistralConfig/Qwen2Config/Qwen3Config default.
            RmsNormEps = HfJson.Float(cfg, "rms_norm_eps") ?? 1e-6f,
            RopeTheta = theta,
            RopeDimensions = ropeDims,
            RopeLayout = RopeLayout.HalfSplit,
            RopeScaling = (arch == ModelArchitecture.Gemma3 && LinearFactor(scaling) > 0) || scalingType is "yarn" or "longrope" or "su" ? null : Scaling(scaling),
            RopeOriginalContext = originalContext,
            FusedQkv = tensors.ContainsKey("blk.0.attn_qkv.weight"),
            FusedGateUp = arch == ModelArchitecture.Phi3,
            AttentionBias = tensors.ContainsKey("blk.0.attn_q.bias"),
            QkNorm = arch is ModelArchitecture.Qwen3 or ModelArchitecture.Qwen3Moe or ModelArchitecture.Gemma3,
            TiedEmbeddings = tied || !tensors.ContainsKey("output.weight"),
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))),
        };
        if (modelType is "mixtral" or "qwen2_moe" or "qwen3_moe")
        {
            config = Experts(cfg, modelType, config);
        }

        if (modelType is "mistral" or "mixtral" && HfJson.Int(cfg, "sliding_window") is int window && window > 0)
        {
            // Mistral 7B v0.1 (sliding_window 4096; later versions set null): a query at p sees keys p − W + 1 … p on
            // every layer, transformers' sliding-window causal mask.
            config = config with { SlidingWindow = window, SlidingWindowPattern = 0 };
        }

        if (scalingType is "longrope" or "su")
        {
            config = LongRope(scaling!.Value, config, ropeDims);
        }
        else if (scalingType == "yarn")
        {
            config = config with { Yarn = Yarn(scaling!.Value, config) };
        }

        return gemma ? GemmaConfig(cfg, config) : config;
    }

    /// <summary>
    /// The mixture-of-experts keys of MixtralConfig (num_local_experts, num_experts_per_tok; the experts are
    /// intermediate_size wide and their top-k weights renormalised) and Qwen2MoeConfig / Qwen3MoeConfig (num_experts,
    /// num_experts_per_tok, moe_intermediate_size, norm_topk_prob — transformers' default false — and Qwen2-MoE's
    /// shared_expert_intermediate_size). Checkpoints with dense layers among the sparse ones (decoder_sparse_step
    /// above 1, mlp_only_layers) are refused: every layer of a CyLlm MoE model routes.
    /// </summary>
    private static ModelConfig Experts(JsonElement cfg, string modelType, ModelConfig c)
    {
        bool mixtral = modelType == "mixtral";
        int experts = Req(cfg, mixtral ? "num_local_experts" : "num_experts");
        int used = Req(cfg, "num_experts_per_tok");
        if (used > experts)
        {
            throw new ModelFormatException($"config.json: num_experts_per_tok {used} exceeds the {experts} experts");
        }

        if (!mixtral)
        {
            if ((HfJson.Int(cfg, "decoder_sparse_step") ?? 1) != 1 || (HfJson.Arr(cfg, "mlp_only_layers") is { } dense && dense.GetArrayLength() > 0))
            {
                throw new ModelFormatException("config.json: dense layers among the MoE layers (decoder_sparse_step > 1 or mlp_only_layers) are not supported");
            }
        }

        return c with
        {
            ExpertCount = experts,
            ExpertUsedCount = used,
            HiddenDim = mixtral ? c.HiddenDim : Req(cfg, "moe_intermediate_size"),
            ExpertWeightsNormalized = mixtral || (HfJson.Bool(cfg, "norm_topk_prob") ?? false),
            SharedExpertHiddenDim = modelType == "qwen2_moe" ? HfJson.Int(cfg, "shared_expert_intermediate_size") ?? 0 : 0,
        };
    }

    /// <summary>
    /// rope_scaling "longrope" (Phi-3.5, Phi-3 128k; "su" in older configs): long_factor and short_factor, one per rotated
    /// pair, and the attention factor llama.cpp's converter writes (attention_factor when given, else
    /// √(1 + ln(s) / ln(original)) with s = max_position_embeddings / original_max_position_embeddings, 1 when s ≤ 1).
    /// </summary>
    private static ModelConfig LongRope(JsonElement s, ModelConfig c, int ropeDims)
    {
        float[] Factors(string key) => HfJson.Arr(s, key) is { } a && a.GetArrayLength() == ropeDims / 2
            && a.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number)
            ? a.EnumerateArray().Select(v => v.GetSingle()).ToArray()
            : throw new ModelFormatException($"config.json rope_scaling {key} must be a list of {ropeDims / 2} numbers (one per rotated pair)");

        if (c.RopeOriginalContext <= 0)
        {
            throw new ModelFormatException("config.json: LongRoPE scaling needs original_max_position_embeddings");
        }

        double scale = (double)c.ContextLength / c.RopeOriginalContext;
        float attn = HfJson.Float(s, "attention_factor")
            ?? (scale > 1 ? (float)Math.Sqrt(1 + (Math.Log(scale) / Math.Log(c.RopeOriginalContext))) : 1f);
        return c with { LongRopeFactors = Factors("long_factor"), ShortRopeFactors = Factors("short_factor"), RopeAttentionFactor = attn };
    }

    /// <summary>
    /// rope_scaling "yarn" {factor, original_max_position_embeddings, beta_fast (32), beta_slow (1), attention_factor}
    /// as llama.cpp runs a converted model: ext_factor 1, and cos/sin scaled by attention_factor when given (as an attention
    /// factor relative to the 0.1·ln(factor) + 1 ggml applies itself), else by that default alone.
    /// </summary>
    private static YarnScaling Yarn(JsonElement s, ModelConfig c)
    {
        float factor = HfJson.Float(s, "factor") ?? throw new ModelFormatException("config.json rope_scaling yarn needs a factor");
        if (!(float.IsFinite(factor) && factor >= 1))
        {
            throw new ModelFormatException($"config.json rope_scaling yarn factor {factor} must be at least 1");
        }

        float builtIn = 1f + (0.1f * MathF.Log(factor));
        float attn = HfJson.Float(s, "attention_factor") is float a ? a / builtIn : 1f;
        return new YarnScaling(factor, c.RopeOriginalContext > 0 ? c.RopeOriginalContext : c.ContextLength, 1f, attn,
            HfJson.Float(s, "beta_fast") ?? 32f, HfJson.Float(s, "beta_slow") ?? 1f);
    }

    /// <summary>True when config.json describes a Gemma 2 / Gemma 3 text model, whose layer norms are named differently.</summary>
    private static bool IsGemma(JsonElement cfg) =>
        (HfJson.Str(cfg, "model_type") ?? ArchitectureModelType(cfg)) is "gemma2" or "gemma3_text";

    /// <summary>
    /// transformers' Gemma2Config / Gemma3TextConfig: query_pre_attn_scalar s scales queries by 1/√s (default 256),
    /// attn_logit_softcapping (Gemma 2 default 50; Gemma 3 has none) and final_logit_softcapping (Gemma 2 default 30),
    /// sliding_window (4096) on the layers layer_types marks "sliding_attention" (else every other layer for Gemma 2,
    /// sliding_window_pattern = 6 for Gemma 3), rope_local_base_freq (Gemma 3 default 10000) on those layers. Norm
    /// weights are stored as w for x̂·(1 + w), so the offset is 1 (GGUF files have it added already).
    /// </summary>
    private static ModelConfig GemmaConfig(JsonElement cfg, ModelConfig c)
    {
        bool gemma2 = c.Architecture == ModelArchitecture.Gemma2;
        int pattern = HfJson.Int(cfg, "sliding_window_pattern") ?? (gemma2 ? 2 : 6);
        if (HfJson.Arr(cfg, "layer_types") is { } types)
        {
            pattern = LayerTypesPeriod(types, c.Layers);
        }

        float Cap(string key, float dflt) => HfJson.Prop(cfg, key) is { ValueKind: JsonValueKind.Null } ? 0f : HfJson.Float(cfg, key) ?? dflt;
        return c with
        {
            NormWeightOffset = 1f,
            AttentionScale = 1f / MathF.Sqrt(HfJson.Float(cfg, "query_pre_attn_scalar") ?? 256f),
            AttentionSoftcap = gemma2 ? Cap("attn_logit_softcapping", 50f) : 0f,
            FinalLogitSoftcap = Cap("final_logit_softcapping", gemma2 ? 30f : 0f),
            SlidingWindow = HfJson.Prop(cfg, "sliding_window") is { ValueKind: JsonValueKind.Null } ? 0 : HfJson.Int(cfg, "sliding_window") ?? 4096,
            SlidingWindowPattern = pattern,
            LocalRopeTheta = HfJson.Float(cfg, "rope_local_base_freq") ?? (gemma2 ? c.RopeTheta : 10000f),
            RopeLinearFactor = gemma2 ? 0f : LinearFactor(HfJson.Obj(cfg, "rope_scaling") ?? HfJson.Obj(cfg, "rope_parameters")),
        };
    }

    /// <summary>The factor of a "linear" rope_scaling (Gemma 3 only; elsewhere <see cref="Scaling"/> refuses it), else 0.</summary>
    private static float LinearFactor(JsonElement? rs)
    {
        if (rs is not { } s || (HfJson.Str(s, "rope_type") ?? HfJson.Str(s, "type")) != "linear")
        {
            return 0f;
        }

        float factor = HfJson.Float(s, "factor") ?? 1f;
        return factor != 1f ? factor : 0f;
    }

    /// <summary>layer_types ("sliding_attention" / "full_attention" per layer) as the period of <see cref="ModelConfig.SlidingWindowPattern"/>.</summary>
    private static int LayerTypesPeriod(JsonElement types, int layers)
    {
        if (types.GetArrayLength() == layers)
        {
            for (int n = 0; n <= layers; n++)
            {
                bool match = true;
                for (int l = 0; l < layers && match; l++)
                {
                    bool local = n == 0 || l % n < n - 1;
                    match = types[l].ValueKind == JsonValueKind.String && (types[l].GetString() == "sliding_attention") == local;
                }

                if (match)
                {
                    return n;
                }
            }
        }

        throw new ModelFormatException("config.json layer_types is not a periodic sliding/full attention pattern, which CyLlm does not support");
    }

    /// <summary>model_type inferred from "architectures" when a config omits it.</summary>
    private static string? ArchitectureModelType(JsonElement cfg)
    {
        if (HfJson.Arr(cfg, "architectures") is not { } a || a.GetArrayLength() == 0 || a[0].ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return a[0].GetString() switch
        {
            "LlamaForCausalLM" => "llama",
            "MistralForCausalLM" => "mistral",
            "Qwen2ForCausalLM" => "qwen2",
            "Qwen3ForCausalLM" => "qwen3",
            "MixtralForCausalLM" => "mixtral",
            "Qwen2MoeForCausalLM" => "qwen2_moe",
            "Qwen3MoeForCausalLM" => "qwen3_moe",
            "Gemma2ForCausalLM" => "gemma2",
            "Gemma3ForCausalLM" => "gemma3_text",
            "Phi3ForCausalLM" => "phi3",
            var other => other,
        };
    }

    /// <summary>
    /// rope_scaling: null or "default" is none; "llama3" maps to <see cref="RopeScaling"/>; other types (linear,
    /// dynamic, yarn, longrope) are refused rather than silently ignored, unless their factor is 1.
    /// </summary>
    private static RopeScaling? Scaling(JsonElement? rs)
    {
        if (rs is not { } s)
        {
            return null;
        }

        string? type = HfJson.Str(s, "rope_type") ?? HfJson.Str(s, "type");
        float? factor = HfJson.Float(s, "factor");
        if (type is null or "default" || (type != "llama3" && (factor ?? 1f) == 1f))
        {
            return null;
        }

        if (type != "llama3")
        {
            throw new ModelFormatException($"config.json rope_scaling type '{type}' (factor {factor}) is not supported (supported: llama3)");
        }

        return new RopeScaling(
            factor ?? 8f,
            HfJson.Float(s, "low_freq_factor") ?? 1f,
            HfJson.Float(s, "high_freq_factor") ?? 4f,
            HfJson.Int(s, "original_max_position_embeddings") ?? 8192);
    }

    private static int Req(JsonElement e, string k) => HfJson.Int(e, k) is int i && i > 0
        ? i
        : throw new ModelFormatException($"config.json: '{k}' is missing or not a positive integer");
}
