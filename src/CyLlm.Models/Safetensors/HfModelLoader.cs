using System.Text.Json;
using System.Text.RegularExpressions;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// Hugging Face model folders: config.json, model.safetensors or model.safetensors.index.json with shards,
/// and tokenizer.json / tokenizer_config.json. Tensor names are mapped to the canonical GGUF names; Q/K are
/// not permuted in HF checkpoints, so RoPE uses the half-split layout.
/// </summary>
public static partial class HfModelLoader
{
    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)$")]
    private static partial Regex LayerName();

    private static readonly Dictionary<string, string> LayerMap = new(StringComparer.Ordinal)
    {
        ["input_layernorm.weight"] = "attn_norm.weight",
        ["self_attn.q_proj.weight"] = "attn_q.weight",
        ["self_attn.k_proj.weight"] = "attn_k.weight",
        ["self_attn.v_proj.weight"] = "attn_v.weight",
        ["self_attn.q_proj.bias"] = "attn_q.bias",
        ["self_attn.k_proj.bias"] = "attn_k.bias",
        ["self_attn.v_proj.bias"] = "attn_v.bias",
        ["self_attn.o_proj.weight"] = "attn_output.weight",
        ["post_attention_layernorm.weight"] = "ffn_norm.weight",
        ["mlp.gate_proj.weight"] = "ffn_gate.weight",
        ["mlp.up_proj.weight"] = "ffn_up.weight",
        ["mlp.down_proj.weight"] = "ffn_down.weight",
    };

    public static LoadedModel Load(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            throw new ModelFormatException($"{folder}: no config.json (a Hugging Face model folder needs one)");
        }

        JsonElement cfg;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            cfg = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"config.json is not valid JSON: {e.Message}");
        }

        string modelType = Str(cfg, "model_type") ?? "";
        var arch = modelType switch
        {
            "llama" or "mistral" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            _ => throw new ModelFormatException($"config.json model_type '{modelType}' is not supported (supported: llama, mistral, qwen2)"),
        };

        var files = ShardFiles(folder);
        var maps = new List<MappedFile>();
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        try
        {
            long bytes = 0;
            foreach (var f in files)
            {
                var map = MappedFile.Open(f);
                maps.Add(map);
                bytes += map.Length;
                foreach (var t in SafetensorsFile.Read(map))
                {
                    string? canonical = Canonical(t.Name);
                    if (canonical is null)
                    {
                        continue; // e.g. rotary_emb.inv_freq
                    }

                    tensors[canonical] = new WeightTensor { Name = canonical, Type = t.Type, Shape = t.Shape, Data = t.Data, ByteLength = t.ByteLength };
                }
            }

            int dim = Req(cfg, "hidden_size");
            int heads = Req(cfg, "num_attention_heads");
            int kvHeads = Int(cfg, "num_key_value_heads") ?? heads;
            int headDim = Int(cfg, "head_dim") ?? (dim / heads);
            bool tied = Bool(cfg, "tie_word_embeddings") ?? false;
            if (tied || !tensors.ContainsKey("output.weight"))
            {
                tensors.Remove("output.weight");
                tied = true;
            }

            RopeScaling? scaling = null;
            if (cfg.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object
                && (Str(rs, "rope_type") ?? Str(rs, "type")) == "llama3")
            {
                scaling = new RopeScaling(Flt(rs, "factor") ?? 8f, Flt(rs, "low_freq_factor") ?? 1f, Flt(rs, "high_freq_factor") ?? 4f, Int(rs, "original_max_position_embeddings") ?? 8192);
            }

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
                ContextLength = Int(cfg, "max_position_embeddings") ?? 2048,
                RmsNormEps = Flt(cfg, "rms_norm_eps") ?? 1e-5f,
                RopeTheta = Flt(cfg, "rope_theta") ?? 10000f,
                RopeDimensions = headDim,
                RopeLayout = RopeLayout.HalfSplit,
                RopeScaling = scaling,
                AttentionBias = tensors.ContainsKey("blk.0.attn_q.bias"),
                TiedEmbeddings = tied,
                Name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)),
            };
            if (!tensors.ContainsKey("token_embd.weight"))
            {
                throw new ModelFormatException($"{folder}: model.embed_tokens.weight is missing");
            }

            var tok = File.Exists(Path.Combine(folder, "tokenizer.json")) ? HfTokenizerLoader.Load(folder, Path.Combine(folder, "tokenizer.json")) : null;
            var meta = new Dictionary<string, object>();
            foreach (var p in cfg.EnumerateObject())
            {
                meta["config." + p.Name] = p.Value.ToString();
            }

            return new LoadedModel("safetensors", config, tensors, tok, meta, bytes, maps.ToArray());
        }
        catch
        {
            foreach (var m in maps)
            {
                m.Dispose();
            }

            throw;
        }
    }

    private static List<string> ShardFiles(string folder)
    {
        string single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }

        string index = Path.Combine(folder, "model.safetensors.index.json");
        if (!File.Exists(index))
        {
            throw new ModelFormatException($"{folder}: neither model.safetensors nor model.safetensors.index.json exists");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(index));
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.GetProperty("weight_map").EnumerateObject())
        {
            string shard = p.Value.GetString() ?? "";
            if (shard.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(shard))
            {
                throw new ModelFormatException($"index names an unsafe shard path '{shard}'");
            }

            names.Add(shard);
        }

        return names.Select(n => Path.Combine(folder, n)).ToList();
    }

    private static string? Canonical(string hf)
    {
        switch (hf)
        {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
        }

        var m = LayerName().Match(hf);
        if (m.Success && LayerMap.TryGetValue(m.Groups[2].Value, out var suffix))
        {
            return $"blk.{m.Groups[1].Value}.{suffix}";
        }

        return null;
    }

    internal static string? Str(JsonElement e, string k) => e.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static int? Int(JsonElement e, string k) => e.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static float? Flt(JsonElement e, string k) => e.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : null;

    internal static bool? Bool(JsonElement e, string k) => e.TryGetProperty(k, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int Req(JsonElement e, string k) => Int(e, k) is int i && i > 0 ? i : throw new ModelFormatException($"config.json: '{k}' is missing or not a positive integer");
}
