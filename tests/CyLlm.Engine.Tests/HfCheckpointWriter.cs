using System.Text;
using System.Text.Json;
using CyLlm.Models;
using CyLlm.Tensors;
using CyLlm.Tensors.Quant;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Writes a loaded Llama-family model as a Hugging Face folder (config.json + safetensors), the way the HF
/// conversion does: names mapped back, Q and K rows permuted from the interleaved RoPE layout to the
/// half-split one (when the source is interleaved), Qwen3's head norms as self_attn.q_norm/k_norm, Gemma's four layer
/// norms under their HF names with 1 subtracted (GemmaRMSNorm computes x̂·(1 + w); GGUF holds 1 + w) and its
/// config keys, tensors in F32, F16 or BF16, optionally split into shards with an index.
/// </summary>
internal static unsafe class HfCheckpointWriter
{
    /// <param name="edit">Optional: rewrites a tensor's values (by canonical GGUF name) before it is written.</param>
    /// <param name="omit">Optional: canonical GGUF names left out of the folder.</param>
    /// <param name="extraConfig">Optional: config.json keys added or replaced (e.g. Mistral's sliding_window).</param>
    /// <param name="expertsByName">MoE only: write each layer's experts in name order (expert 10 after expert 1), as
    /// safetensors writers do, instead of index order; the loader must then copy them instead of viewing the file.</param>
    public static void Write(LoadedModel model, string folder, string dtype, int shards = 1, string modelType = "llama",
        Func<string, float[], float[]>? edit = null, IReadOnlySet<string>? omit = null, IReadOnlyDictionary<string, object?>? extraConfig = null,
        bool expertsByName = false)
    {
        Directory.CreateDirectory(folder);
        var c = model.Config;
        var tensors = new List<(string Name, long[] Shape, float[] Data)>();
        void Add(string hf, string gguf, bool permuteHeads = false, int heads = 0)
        {
            if (omit?.Contains(gguf) == true)
            {
                return;
            }

            // A half-split source (GGUF qwen2/qwen3) already has the HF row order.
            permuteHeads &= c.RopeLayout == RopeLayout.Interleaved;
            var t = model.Get(gguf);
            var data = new float[t.ElementCount];
            fixed (float* d = data)
            {
                Dequantize.Row(t.Type, (byte*)t.Data, d, data.Length);
            }

            long[] shape = t.Shape.Reverse().ToArray(); // ggml [in, out] → HF [out, in]
            if (permuteHeads)
            {
                data = Permute(data, heads, (int)shape[0], (int)shape[1]);
            }

            if (c.Gemma && gguf.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                data = data.Select(v => v - 1f).ToArray();
            }

            tensors.Add((hf, shape, edit is null ? data : edit(gguf, data)));
        }

        Add("model.embed_tokens.weight", "token_embd.weight");
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"model.layers.{i}.";
            Add(p + "input_layernorm.weight", $"blk.{i}.attn_norm.weight");
            if (c.FusedQkv)
            {
                // Phi-3: the fused matrix has HF's row order already (NEOX RoPE, no permutation).
                Add(p + "self_attn.qkv_proj.weight", $"blk.{i}.attn_qkv.weight");
            }
            else
            {
                Add(p + "self_attn.q_proj.weight", $"blk.{i}.attn_q.weight", true, c.Heads);
                Add(p + "self_attn.k_proj.weight", $"blk.{i}.attn_k.weight", true, c.KvHeads);
                Add(p + "self_attn.v_proj.weight", $"blk.{i}.attn_v.weight");
            }

            Add(p + "self_attn.o_proj.weight", $"blk.{i}.attn_output.weight");
            if (c.QkNorm)
            {
                Add(p + "self_attn.q_norm.weight", $"blk.{i}.attn_q_norm.weight");
                Add(p + "self_attn.k_norm.weight", $"blk.{i}.attn_k_norm.weight");
            }

            if (c.Gemma)
            {
                Add(p + "post_attention_layernorm.weight", $"blk.{i}.post_attention_norm.weight");
                Add(p + "pre_feedforward_layernorm.weight", $"blk.{i}.ffn_norm.weight");
                Add(p + "post_feedforward_layernorm.weight", $"blk.{i}.post_ffw_norm.weight");
            }
            else
            {
                Add(p + "post_attention_layernorm.weight", $"blk.{i}.ffn_norm.weight");
            }

            if (c.IsMoe)
            {
                bool mixtral = modelType == "mixtral";
                string group = mixtral ? p + "block_sparse_moe." : p + "mlp.";
                Add(group + "gate.weight", $"blk.{i}.ffn_gate_inp.weight");
                var names = mixtral ? new[] { "w1", "w3", "w2" } : ["gate_proj", "up_proj", "down_proj"];
                var order = Enumerable.Range(0, c.ExpertCount).ToList();
                if (expertsByName)
                {
                    order.Sort((a, b) => string.CompareOrdinal(a.ToString(System.Globalization.CultureInfo.InvariantCulture), b.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                foreach (var (hfName, gguf) in names.Zip(["ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"]))
                {
                    // ggml [in, out, experts] → one HF [out, in] matrix per expert.
                    var t = model.Get($"blk.{i}.{gguf}.weight");
                    var all = Floats(t);
                    long expertElems = t.Shape[0] * t.Shape[1];
                    foreach (int e in order)
                    {
                        tensors.Add(($"{group}experts.{e}.{hfName}.weight", [t.Shape[1], t.Shape[0]], all.AsSpan((int)(e * expertElems), (int)expertElems).ToArray()));
                    }
                }

                if (c.SharedExpertHiddenDim > 0)
                {
                    Add(p + "mlp.shared_expert.gate_proj.weight", $"blk.{i}.ffn_gate_shexp.weight");
                    Add(p + "mlp.shared_expert.up_proj.weight", $"blk.{i}.ffn_up_shexp.weight");
                    Add(p + "mlp.shared_expert.down_proj.weight", $"blk.{i}.ffn_down_shexp.weight");
                    Add(p + "mlp.shared_expert_gate.weight", $"blk.{i}.ffn_gate_inp_shexp.weight");
                }
            }
            else if (c.FusedGateUp)
            {
                Add(p + "mlp.gate_up_proj.weight", $"blk.{i}.ffn_up.weight");
            }
            else
            {
                Add(p + "mlp.gate_proj.weight", $"blk.{i}.ffn_gate.weight");
                Add(p + "mlp.up_proj.weight", $"blk.{i}.ffn_up.weight");
            }

            if (!c.IsMoe)
            {
                Add(p + "mlp.down_proj.weight", $"blk.{i}.ffn_down.weight");
            }

            if (modelType == "qwen2")
            {
                // Zero biases: the output must not change, but the bias path runs.
                tensors.Add((p + "self_attn.q_proj.bias", [c.Heads * c.HeadDim], new float[c.Heads * c.HeadDim]));
                tensors.Add((p + "self_attn.k_proj.bias", [c.KvHeads * c.HeadDim], new float[c.KvHeads * c.HeadDim]));
                tensors.Add((p + "self_attn.v_proj.bias", [c.KvHeads * c.HeadDim], new float[c.KvHeads * c.HeadDim]));
            }
            else if (model.TryGet($"blk.{i}.attn_q.bias") is not null)
            {
                Add(p + "self_attn.q_proj.bias", $"blk.{i}.attn_q.bias");
                Add(p + "self_attn.k_proj.bias", $"blk.{i}.attn_k.bias");
                Add(p + "self_attn.v_proj.bias", $"blk.{i}.attn_v.bias");
            }
        }

        Add("model.norm.weight", "output_norm.weight");
        if (!c.TiedEmbeddings)
        {
            Add("lm_head.weight", "output.weight");
        }

        var config = new Dictionary<string, object?>
        {
            ["model_type"] = modelType,
            ["hidden_size"] = c.Dim,
            ["intermediate_size"] = c.HiddenDim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["num_key_value_heads"] = c.KvHeads,
            ["vocab_size"] = c.VocabSize,
            ["max_position_embeddings"] = c.ContextLength,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["tie_word_embeddings"] = c.TiedEmbeddings,
        };
        if (c.IsMoe)
        {
            config[modelType == "mixtral" ? "num_local_experts" : "num_experts"] = c.ExpertCount;
            config["num_experts_per_tok"] = c.ExpertUsedCount;
            if (modelType != "mixtral")
            {
                config["moe_intermediate_size"] = c.HiddenDim;
                config["intermediate_size"] = 4 * c.Dim; // the dense width, unused when every layer routes
                config["norm_topk_prob"] = c.ExpertWeightsNormalized;
            }

            if (c.SharedExpertHiddenDim > 0)
            {
                config["shared_expert_intermediate_size"] = c.SharedExpertHiddenDim;
            }
        }

        if (model.TryGet("rope_factors_long.weight") is { } longFactors)
        {
            // Phi-3.5 / Phi-3 128k: the GGUF's LongRoPE tensors back as rope_scaling lists. The attention factor is left
            // to the loader (√(1 + ln(max / original) / ln(original)), what llama.cpp's converter wrote into the GGUF).
            config["original_max_position_embeddings"] = c.RopeOriginalContext;
            config["rope_scaling"] = new Dictionary<string, object>
            {
                ["type"] = "longrope",
                ["long_factor"] = Floats(longFactors),
                ["short_factor"] = Floats(model.Get("rope_factors_short.weight")),
            };
        }

        if (c.Yarn is { } yarn)
        {
            // rope_scaling as Qwen3 ships it for long contexts; beta_fast/beta_slow left at transformers' defaults (32/1).
            config["rope_scaling"] = new Dictionary<string, object>
            {
                ["rope_type"] = "yarn",
                ["factor"] = yarn.Factor,
                ["original_max_position_embeddings"] = yarn.OriginalContextLength,
            };
        }

        if (c.HeadDim * c.Heads != c.Dim)
        {
            config["head_dim"] = c.HeadDim;
        }

        if (c.Gemma)
        {
            config["hidden_activation"] = "gelu_pytorch_tanh";
            config["query_pre_attn_scalar"] = 1f / (c.AttentionScale * c.AttentionScale);
            config["final_logit_softcapping"] = c.FinalLogitSoftcap > 0 ? c.FinalLogitSoftcap : null;
            config["sliding_window"] = c.SlidingWindow;
            if (c.Architecture == ModelArchitecture.Gemma2)
            {
                config["attn_logit_softcapping"] = c.AttentionSoftcap;
                // transformers ≥ 4.53 spells the pattern out per layer.
                config["layer_types"] = Enumerable.Range(0, c.Layers).Select(l => c.IsLocalLayer(l) ? "sliding_attention" : "full_attention").ToArray();
            }
            else
            {
                config["sliding_window_pattern"] = c.SlidingWindowPattern;
                config["rope_local_base_freq"] = c.LocalRopeTheta;
            }
        }

        foreach (var (key, value) in extraConfig ?? new Dictionary<string, object?>())
        {
            config[key] = value;
        }

        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config));
        int per = (tensors.Count + shards - 1) / shards;
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < shards; s++)
        {
            string file = shards == 1 ? "model.safetensors" : $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
            var part = tensors.Skip(s * per).Take(per).ToList();
            WriteSafetensors(Path.Combine(folder, file), part, dtype);
            foreach (var t in part)
            {
                weightMap[t.Name] = file;
            }
        }

        if (shards > 1)
        {
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = weightMap }));
        }
    }

    private static float[] Floats(WeightTensor t)
    {
        var data = new float[t.ElementCount];
        fixed (float* d = data)
        {
            Dequantize.Row(t.Type, (byte*)t.Data, d, data.Length);
        }

        return data;
    }

    /// <summary>Interleaved pairs (2i, 2i+1) → half-split (i, i+d/2) per head, as HF's conversion permutes.</summary>
    private static float[] Permute(float[] w, int heads, int rows, int cols)
    {
        int hd = rows / heads;
        var o = new float[w.Length];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < hd / 2; i++)
            {
                Array.Copy(w, ((h * hd) + (2 * i)) * cols, o, ((h * hd) + i) * cols, cols);
                Array.Copy(w, ((h * hd) + (2 * i) + 1) * cols, o, ((h * hd) + i + (hd / 2)) * cols, cols);
            }
        }

        return o;
    }

    internal static void WriteSafetensors(string path, List<(string Name, long[] Shape, float[] Data)> tensors, string dtype)
    {
        int size = dtype == "F32" ? 4 : 2;
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var t in tensors)
        {
            long bytes = t.Data.Length * size;
            header[t.Name] = new { dtype, shape = t.Shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        foreach (var t in tensors)
        {
            foreach (float v in t.Data)
            {
                switch (dtype)
                {
                    case "F32":
                        f.Write(BitConverter.GetBytes(v));
                        break;
                    case "F16":
                        f.Write(BitConverter.GetBytes(Fp16.FromFloat(v)));
                        break;
                    default:
                        f.Write(BitConverter.GetBytes(Fp16.FloatToBF16(v)));
                        break;
                }
            }
        }
    }
}
