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
            "llama" or "mistral" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "qwen3" => ModelArchitecture.Qwen3,
            _ => throw new ModelFormatException($"config.json model_type '{modelType}' is not supported (supported: llama, mistral, qwen2, qwen3)"),
        };
        if (HfJson.Str(cfg, "hidden_act") is { } act && act != "silu")
        {
            throw new ModelFormatException($"config.json hidden_act '{act}' is not supported (Llama-family models use silu)");
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
        bool tied = HfJson.Bool(cfg, "tie_word_embeddings") ?? false;
        return new ModelConfig
        {
            Architecture = arch,
            Dim = dim,
            HiddenDim = Req(cfg, "intermediate_size"),
            Layers = Req(cfg, "num_hidden_layers"),
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Req(cfg, "vocab_size"),
            ContextLength = HfJson.Int(cfg, "max_position_embeddings") ?? 2048,
            // transformers' LlamaConfig/MistralConfig/Qwen2Config/Qwen3Config default.
            RmsNormEps = HfJson.Float(cfg, "rms_norm_eps") ?? 1e-6f,
            RopeTheta = theta,
            RopeDimensions = ropeDims,
            RopeLayout = RopeLayout.HalfSplit,
            RopeScaling = Scaling(HfJson.Obj(cfg, "rope_scaling") ?? ropeParams),
            AttentionBias = tensors.ContainsKey("blk.0.attn_q.bias"),
            QkNorm = arch == ModelArchitecture.Qwen3,
            TiedEmbeddings = tied || !tensors.ContainsKey("output.weight"),
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))),
        };
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
