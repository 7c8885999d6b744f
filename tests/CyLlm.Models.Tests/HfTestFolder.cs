using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CyLlm.Tensors;

namespace CyLlm.Models.Tests;

/// <summary>
/// Writes a tiny Hugging Face model folder: config.json, a byte-level tokenizer.json, tokenizer_config.json and
/// model.safetensors (or shards with an index) of a 2-layer Llama/Qwen2 in F32, F16 or BF16. The bytes written
/// per HF tensor name are kept so that tests can compare them with the mapped views.
/// </summary>
internal sealed class HfTestFolder
{
    public const int Dim = 16, Hidden = 32, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 4;

    public static readonly string[] Vocab = ["a", "b", "ab", "Ġ", "Ġa", "Ġab", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "Ċ"];

    public HfTestFolder(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
    }

    public string Folder { get; }

    /// <summary>config.json, editable before <see cref="Write"/>.</summary>
    public JsonObject Config { get; } = new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = Dim,
        ["intermediate_size"] = Hidden,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["vocab_size"] = Vocab.Length,
        ["max_position_embeddings"] = 128,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 500000.0,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = false,
        ["bos_token_id"] = 6,
        ["eos_token_id"] = new JsonArray(7, 8),
        ["torch_dtype"] = "bfloat16",
    };

    public string Dtype { get; init; } = "F32";

    /// <summary>Embedding rows and config vocab_size; more than the tokenizer's 10 tokens exercises padding.</summary>
    public int VocabRows { get; init; } = Vocab.Length;

    public int Shards { get; init; } = 1;

    public bool Tied { get; init; }

    public bool Biases { get; init; }

    /// <summary>Qwen3's per-head self_attn.q_norm/k_norm weights, [HeadDim] each.</summary>
    public bool QkNorm { get; init; }

    /// <summary>Mixtral-style experts (block_sparse_moe.gate and experts.{e}.w1/w3/w2, each <see cref="Hidden"/> wide)
    /// instead of the dense MLP; 0 for a dense model. Set model_type "mixtral" and its expert keys in <see cref="Config"/>.</summary>
    public int Experts { get; init; }

    /// <summary>Optional: rewrites the tensor list (HF name, row-major shape) before it is written.</summary>
    public Func<List<(string Name, long[] Shape)>, List<(string Name, long[] Shape)>>? EditTensors { get; init; }

    /// <summary>Bytes written per HF tensor name.</summary>
    public Dictionary<string, byte[]> Written { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensors as (HF name, row-major shape) in writing order.</summary>
    public List<(string Name, long[] Shape)> Tensors()
    {
        var list = new List<(string, long[])> { ("model.embed_tokens.weight", [VocabRows, Dim]) };
        for (int i = 0; i < Layers; i++)
        {
            string p = $"model.layers.{i}.";
            list.Add((p + "input_layernorm.weight", [Dim]));
            list.Add((p + "self_attn.q_proj.weight", [Heads * HeadDim, Dim]));
            list.Add((p + "self_attn.k_proj.weight", [KvHeads * HeadDim, Dim]));
            list.Add((p + "self_attn.v_proj.weight", [KvHeads * HeadDim, Dim]));
            if (Biases)
            {
                list.Add((p + "self_attn.q_proj.bias", [Heads * HeadDim]));
                list.Add((p + "self_attn.k_proj.bias", [KvHeads * HeadDim]));
                list.Add((p + "self_attn.v_proj.bias", [KvHeads * HeadDim]));
            }

            if (QkNorm)
            {
                list.Add((p + "self_attn.q_norm.weight", [HeadDim]));
                list.Add((p + "self_attn.k_norm.weight", [HeadDim]));
            }

            list.Add((p + "self_attn.o_proj.weight", [Dim, Heads * HeadDim]));
            list.Add((p + "post_attention_layernorm.weight", [Dim]));
            if (Experts > 0)
            {
                list.Add((p + "block_sparse_moe.gate.weight", [Experts, Dim]));
                for (int e = 0; e < Experts; e++)
                {
                    list.Add(($"{p}block_sparse_moe.experts.{e}.w1.weight", [Hidden, Dim]));
                    list.Add(($"{p}block_sparse_moe.experts.{e}.w3.weight", [Hidden, Dim]));
                    list.Add(($"{p}block_sparse_moe.experts.{e}.w2.weight", [Dim, Hidden]));
                }
            }
            else
            {
                list.Add((p + "mlp.gate_proj.weight", [Hidden, Dim]));
                list.Add((p + "mlp.up_proj.weight", [Hidden, Dim]));
                list.Add((p + "mlp.down_proj.weight", [Dim, Hidden]));
            }
            list.Add((p + "self_attn.rotary_emb.inv_freq", [HeadDim / 2])); // a buffer older checkpoints saved
        }

        list.Add(("model.norm.weight", [Dim]));
        if (!Tied)
        {
            list.Add(("lm_head.weight", [VocabRows, Dim]));
        }

        return EditTensors is null ? list : EditTensors(list);
    }

    public HfTestFolder Write(int seed = 1)
    {
        Config["tie_word_embeddings"] = Tied;
        Config["vocab_size"] = VocabRows;
        File.WriteAllText(Path.Combine(Folder, "config.json"), Config.ToJsonString());
        File.WriteAllText(Path.Combine(Folder, "tokenizer.json"), ByteLevelTokenizer().ToJsonString());
        File.WriteAllText(Path.Combine(Folder, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = "<|begin_of_text|>",
            ["eos_token"] = new JsonObject { ["content"] = "<|eot_id|>", ["special"] = true },
            ["chat_template"] = "{% for m in messages %}{{ m.content }}{% endfor %}",
        }.ToJsonString());

        var rng = new Random(seed);
        var tensors = Tensors();
        int per = (tensors.Count + Shards - 1) / Shards;
        var weightMap = new JsonObject();
        for (int s = 0; s < Shards; s++)
        {
            string file = Shards == 1 ? "model.safetensors" : $"model-{s + 1:00000}-of-{Shards:00000}.safetensors";
            var part = tensors.Skip(s * per).Take(per).ToList();
            var blobs = part.Select(t => (t.Name, t.Shape, Bytes: Encode(t.Name.EndsWith("inv_freq", StringComparison.Ordinal) ? "F32" : Dtype, Random(rng, t.Shape)))).ToList();
            WriteSafetensors(Path.Combine(Folder, file), blobs.Select(b => (b.Name, b.Name.EndsWith("inv_freq", StringComparison.Ordinal) ? "F32" : Dtype, b.Shape, b.Bytes)).ToList());
            foreach (var b in blobs)
            {
                Written[b.Name] = b.Bytes;
                weightMap[b.Name] = file;
            }
        }

        if (Shards > 1)
        {
            File.WriteAllText(Path.Combine(Folder, "model.safetensors.index.json"), new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = Written.Values.Sum(b => b.Length) },
                ["weight_map"] = weightMap,
            }.ToJsonString());
        }

        return this;
    }

    /// <summary>A Llama-3-style byte-level tokenizer.json over <see cref="Vocab"/> (specials as added tokens).</summary>
    public static JsonObject ByteLevelTokenizer(string? regex = null, bool arrayMerges = false)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < 6; i++)
        {
            vocab[Vocab[i]] = i;
        }

        vocab["Ċ"] = 9;
        var added = new JsonArray();
        for (int i = 6; i < 9; i++)
        {
            added.Add(new JsonObject { ["id"] = i, ["content"] = Vocab[i], ["special"] = true, ["normalized"] = false });
        }

        JsonNode merges = arrayMerges
            ? new JsonArray(new JsonArray("a", "b"), new JsonArray("Ġ", "a"), new JsonArray("Ġa", "b"))
            : new JsonArray("a b", "Ġ a", "Ġa b");
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex ?? Safetensors.HfPreTokenizer.Llama3Regex }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(
                    new JsonObject { ["type"] = "ByteLevel" },
                    new JsonObject
                    {
                        ["type"] = "TemplateProcessing",
                        ["single"] = new JsonArray(
                            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["type_id"] = 0 } },
                            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = merges,
            },
        };
    }

    private static float[] Random(Random rng, long[] shape)
    {
        var a = new float[shape.Aggregate(1L, (x, y) => x * y)];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)(rng.NextDouble() - 0.5);
        }

        return a;
    }

    private static byte[] Encode(string dtype, float[] values)
    {
        int size = dtype == "F32" ? 4 : 2;
        var b = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case "F32":
                    BitConverter.TryWriteBytes(b.AsSpan(i * 4), values[i]);
                    break;
                case "F16":
                    BitConverter.TryWriteBytes(b.AsSpan(i * 2), Fp16.FromFloat(values[i]));
                    break;
                default:
                    BitConverter.TryWriteBytes(b.AsSpan(i * 2), Fp16.FloatToBF16(values[i]));
                    break;
            }
        }

        return b;
    }

    /// <summary>Writes a .safetensors file: JSON header padded with spaces to a multiple of 8, then the data.</summary>
    public static void WriteSafetensors(string path, List<(string Name, string Dtype, long[] Shape, byte[] Bytes)> tensors, JsonObject? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.Dtype,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + t.Bytes.Length),
            };
            offset += t.Bytes.Length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)padded));
        f.Write(json);
        f.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
        foreach (var t in tensors)
        {
            f.Write(t.Bytes);
        }
    }

    public static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    public static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
