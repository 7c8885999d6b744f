using System.Text;
using System.Text.Json.Nodes;
using CyLlm.Models.Safetensors;
using CyLlm.Tensors;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Tests;

/// <summary>Hugging Face folders: config.json mapping, safetensors (single and sharded, F32/F16/BF16), name and
/// shape mapping, tied embeddings, Qwen2 biases, RoPE scaling, and hostile headers, configs and indexes.</summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HfTestFolder Folder(string name, string dtype = "F32", int shards = 1, bool tied = false, bool biases = false, int vocabRows = 10) =>
        new(Path.Combine(_dir, name)) { Dtype = dtype, Shards = shards, Tied = tied, Biases = biases, VocabRows = vocabRows };

    private static ModelFormatException Fails(string path)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData("F32", 1)]
    [InlineData("F16", 1)]
    [InlineData("BF16", 1)]
    [InlineData("F32", 3)]
    [InlineData("BF16", 4)]
    public unsafe void A_tiny_llama_folder_maps_names_shapes_and_bytes(string dtype, int shards)
    {
        var f = Folder($"{dtype}-{shards}", dtype, shards).Write();
        using var m = ModelLoader.Load(f.Folder);
        var c = m.Config;
        Assert.Equal("safetensors", m.Format);
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((16, 32, 2, 4, 2, 4, 10, 128, 4), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.VocabSize, c.ContextLength, c.RopeDimensions));
        Assert.Equal((1e-5f, 500000f, RopeLayout.HalfSplit), (c.RmsNormEps, c.RopeTheta, c.RopeLayout));
        Assert.False(c.TiedEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Null(c.RopeScaling);
        Assert.Equal(Path.GetFileName(f.Folder), c.Name);
        Assert.Equal(1 + (2 * 9) + 2, m.Tensors.Count);
        Assert.Equal(Directory.GetFiles(f.Folder, "*.safetensors").Sum(p => new FileInfo(p).Length), m.FileBytes);
        Assert.Equal(shards, m.Metadata["hf.shards"]);

        var expectedType = dtype switch { "F16" => GgmlType.F16, "BF16" => GgmlType.BF16, _ => GgmlType.F32 };
        var names = new Dictionary<string, string>
        {
            ["model.embed_tokens.weight"] = "token_embd.weight",
            ["model.norm.weight"] = "output_norm.weight",
            ["lm_head.weight"] = "output.weight",
            ["model.layers.1.input_layernorm.weight"] = "blk.1.attn_norm.weight",
            ["model.layers.0.self_attn.q_proj.weight"] = "blk.0.attn_q.weight",
            ["model.layers.1.self_attn.k_proj.weight"] = "blk.1.attn_k.weight",
            ["model.layers.0.self_attn.v_proj.weight"] = "blk.0.attn_v.weight",
            ["model.layers.1.self_attn.o_proj.weight"] = "blk.1.attn_output.weight",
            ["model.layers.0.post_attention_layernorm.weight"] = "blk.0.ffn_norm.weight",
            ["model.layers.1.mlp.gate_proj.weight"] = "blk.1.ffn_gate.weight",
            ["model.layers.0.mlp.up_proj.weight"] = "blk.0.ffn_up.weight",
            ["model.layers.1.mlp.down_proj.weight"] = "blk.1.ffn_down.weight",
        };
        var shapes = f.Tensors().ToDictionary(t => t.Name, t => t.Shape);
        foreach (var (hf, gguf) in names)
        {
            var t = m.Get(gguf);
            Assert.Equal(expectedType, t.Type);
            Assert.Equal(shapes[hf].Reverse(), t.Shape); // HF [out, in] → ggml [in, out]
            Assert.True(new ReadOnlySpan<byte>((void*)t.Data, (int)t.ByteLength).SequenceEqual(f.Written[hf]), hf);
        }

        Assert.Equal([16L, 8], m.Get("blk.0.attn_k.weight").Shape);
        Assert.Equal([32L, 16], m.Get("blk.0.ffn_down.weight").Shape);
        Assert.DoesNotContain(m.Tensors.Keys, k => k.Contains("inv_freq", StringComparison.Ordinal));

        Assert.Equal(16L, m.Metadata["config.hidden_size"]);
        Assert.Equal("llama", m.Metadata["config.model_type"]);
        Assert.Equal(new[] { 7L, 8L }, m.Metadata["config.eos_token_id"]);
        Assert.Equal(1e-5, m.Metadata["config.rms_norm_eps"]);
        Assert.Equal(false, m.Metadata["config.tie_word_embeddings"]);

        var tok = m.Tokenizer!;
        Assert.Equal(TokenizerKind.ByteLevelBpe, tok.Kind);
        Assert.Equal("llama-bpe", tok.PreTokenizer);
        Assert.Equal((6, 8), (tok.BosId, tok.EosId));
        Assert.Equal([7], tok.EotIds);
        Assert.True(tok.AddBos);
        Assert.Equal("{% for m in messages %}{{ m.content }}{% endfor %}", tok.ChatTemplate);
    }

    [Fact]
    public void Config_index_and_safetensors_paths_open_the_folder()
    {
        var single = Folder("single").Write();
        foreach (var p in new[] { Path.Combine(single.Folder, "config.json"), Path.Combine(single.Folder, "model.safetensors"), single.Folder + Path.DirectorySeparatorChar })
        {
            using var m = ModelLoader.Load(p);
            Assert.Equal("safetensors", m.Format);
        }

        var sharded = Folder("sharded", shards: 2).Write();
        using var s = ModelLoader.Load(Path.Combine(sharded.Folder, "model.safetensors.index.json"));
        Assert.Equal(2, s.Metadata["hf.shards"]);

        // A safetensors file is recognised by content even under another name.
        File.Move(Path.Combine(single.Folder, "model.safetensors"), Path.Combine(single.Folder, "weights.bin"));
        Assert.Contains("neither model.safetensors", Fails(Path.Combine(single.Folder, "weights.bin")).Message);
    }

    [Fact]
    public void Tied_embeddings_are_detected_and_a_redundant_head_is_dropped()
    {
        using (var m = ModelLoader.Load(Folder("tied", tied: true).Write().Folder))
        {
            Assert.True(m.Config.TiedEmbeddings);
            Assert.Null(m.TryGet("output.weight"));
        }

        // tie_word_embeddings true with an lm_head saved anyway: the embedding is what the model uses.
        var f = Folder("tied-with-head").Write();
        var cfg = HfTestFolder.ReadJson(Path.Combine(f.Folder, "config.json"));
        cfg["tie_word_embeddings"] = true;
        HfTestFolder.WriteJson(Path.Combine(f.Folder, "config.json"), cfg);
        using var m2 = ModelLoader.Load(f.Folder);
        Assert.True(m2.Config.TiedEmbeddings);
        Assert.Null(m2.TryGet("output.weight"));
    }

    [Fact]
    public void Qwen2_maps_biases()
    {
        var f = Folder("qwen2", biases: true);
        f.Config["model_type"] = "qwen2";
        f.Config["architectures"] = new JsonArray("Qwen2ForCausalLM");
        f.Write();
        using var m = ModelLoader.Load(f.Folder);
        Assert.Equal(ModelArchitecture.Qwen2, m.Config.Architecture);
        Assert.True(m.Config.AttentionBias);
        Assert.Equal(RopeLayout.HalfSplit, m.Config.RopeLayout);
        Assert.Equal([8L], m.Get("blk.1.attn_v.bias").Shape);
        Assert.Equal([16L], m.Get("blk.0.attn_q.bias").Shape);
    }

    [Fact]
    public void Qwen3_maps_the_head_norms_and_needs_them()
    {
        var f = new HfTestFolder(Path.Combine(_dir, "qwen3")) { QkNorm = true };
        f.Config["model_type"] = "qwen3";
        f.Config["architectures"] = new JsonArray("Qwen3ForCausalLM");
        f.Write();
        using (var m = ModelLoader.Load(f.Folder))
        {
            Assert.Equal(ModelArchitecture.Qwen3, m.Config.Architecture);
            Assert.True(m.Config.QkNorm);
            Assert.False(m.Config.AttentionBias);
            Assert.Equal(RopeLayout.HalfSplit, m.Config.RopeLayout);
            Assert.Equal([(long)HfTestFolder.HeadDim], m.Get("blk.1.attn_q_norm.weight").Shape);
            Assert.Equal([(long)HfTestFolder.HeadDim], m.Get("blk.0.attn_k_norm.weight").Shape);
        }

        // model_type qwen3 without the norms: a named missing tensor, not a Llama run.
        var bare = Folder("qwen3-bare");
        bare.Config["model_type"] = "qwen3";
        bare.Write();
        Assert.Contains("tensor blk.0.attn_q_norm.weight is missing", Fails(bare.Folder).Message);
    }

    [Fact]
    public void Longrope_su_and_yarn_rope_scaling_are_read()
    {
        // head_dim 4: two rotated pairs. "su" is the older configs' name for LongRoPE; the attention factor is the
        // converter's √(1 + ln(128 / 32) / ln 32) when the config gives none.
        var su = Folder("su");
        su.Config["original_max_position_embeddings"] = 32;
        su.Config["rope_scaling"] = new JsonObject { ["type"] = "su", ["long_factor"] = new JsonArray(1.0, 4.0), ["short_factor"] = new JsonArray(1.0, 1.5) };
        using (var m = ModelLoader.Load(su.Write().Folder))
        {
            Assert.Equal([1f, 4f], m.Config.LongRopeFactors!);
            Assert.Equal([1f, 1.5f], m.Config.ShortRopeFactors!);
            Assert.Equal(32, m.Config.RopeOriginalContext);
            Assert.Equal(MathF.Sqrt(1 + (MathF.Log(4) / MathF.Log(32))), m.Config.RopeAttentionFactor, 5);
            Assert.Null(m.Config.RopeScaling);
        }

        var yarn = Folder("yarn");
        yarn.Config["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0, ["original_max_position_embeddings"] = 32, ["beta_fast"] = 16.0 };
        using (var m = ModelLoader.Load(yarn.Write().Folder))
        {
            Assert.Equal(new YarnScaling(4f, 32, 1f, 1f, 16f, 1f), m.Config.Yarn);
            Assert.Null(m.Config.RopeScaling);
        }

        var noOriginal = Folder("nooriginal");
        noOriginal.Config["rope_scaling"] = new JsonObject { ["type"] = "longrope", ["long_factor"] = new JsonArray(1.0, 4.0), ["short_factor"] = new JsonArray(1.0, 1.5) };
        Assert.Contains("LongRoPE scaling needs original_max_position_embeddings", Fails(noOriginal.Write().Folder).Message);
    }

    [Fact]
    public void Defaults_rope_scaling_and_v5_rope_parameters_are_read()
    {
        var f = Folder("llama3");
        f.Config["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 32.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192 };
        f.Config.Remove("rms_norm_eps");
        f.Config["head_dim"] = 4;
        f.Config.Remove("model_type"); // inferred from "architectures"
        using (var m = ModelLoader.Load(f.Write().Folder))
        {
            Assert.Equal(new RopeScaling(32f, 1f, 4f, 8192), m.Config.RopeScaling);
            Assert.Equal(1e-6f, m.Config.RmsNormEps); // transformers' default
            Assert.Equal(ModelArchitecture.Llama, m.Config.Architecture);
        }

        var v5 = Folder("v5", biases: false);
        v5.Config.Remove("rope_theta");
        v5.Config["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1000000.0 };
        v5.Write();
        var cfg = HfTestFolder.ReadJson(Path.Combine(v5.Folder, "config.json"));
        cfg["num_key_value_heads"] = 4;
        HfTestFolder.WriteJson(Path.Combine(v5.Folder, "config.json"), cfg);
        Assert.Contains("blk.0.attn_k.weight has shape [16, 8], expected [16, 16]", Fails(v5.Folder).Message);
        cfg["num_key_value_heads"] = 2;
        HfTestFolder.WriteJson(Path.Combine(v5.Folder, "config.json"), cfg);
        using var m5 = ModelLoader.Load(v5.Folder);
        Assert.Equal(1e6f, m5.Config.RopeTheta);
        Assert.Null(m5.Config.RopeScaling);
    }

    [Fact]
    public void Unsupported_configs_are_named()
    {
        (string Key, JsonNode? Value, string Fragment)[] cases =
        [
            ("model_type", "gpt_neox", "model_type 'gpt_neox' is not supported"),
            ("hidden_act", "gelu", "hidden_act 'gelu'"),
            ("hidden_size", "16", "'hidden_size' is missing or not a positive integer"),
            ("num_hidden_layers", -1, "'num_hidden_layers' is missing"),
            ("rope_scaling", new JsonObject { ["type"] = "linear", ["factor"] = 2.0 }, "rope_scaling type 'linear'"),
            ("rope_scaling", new JsonObject { ["rope_type"] = "dynamic", ["factor"] = 4.0 }, "rope_scaling type 'dynamic'"),
            ("rope_scaling", new JsonObject { ["rope_type"] = "yarn" }, "rope_scaling yarn needs a factor"),
            ("rope_scaling", new JsonObject { ["rope_type"] = "longrope", ["long_factor"] = new JsonArray(1.0), ["short_factor"] = new JsonArray(1.0), ["original_max_position_embeddings"] = 16 }, "long_factor must be a list of"),
            ("num_attention_heads", 3, "hidden_size 16 is not a multiple of num_attention_heads 3"),
            ("vocab_size", 11, "token_embd.weight has shape [16, 10], expected [16, 11]"),
        ];
        int i = 0;
        foreach (var (key, value, fragment) in cases)
        {
            var f = Folder($"bad{i++}").Write();
            var cfg = HfTestFolder.ReadJson(Path.Combine(f.Folder, "config.json"));
            cfg[key] = value?.DeepClone();
            HfTestFolder.WriteJson(Path.Combine(f.Folder, "config.json"), cfg);
            Assert.Contains(fragment, Fails(f.Folder).Message);
        }

        var broken = Folder("badjson").Write();
        File.WriteAllText(Path.Combine(broken.Folder, "config.json"), "{ \"model_type\": ");
        Assert.Contains("config.json is not valid JSON", Fails(broken.Folder).Message);
        File.WriteAllText(Path.Combine(broken.Folder, "config.json"), "[1, 2]");
        Assert.Contains("root is not an object", Fails(broken.Folder).Message);

        string empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("no config.json", Fails(empty).Message);
        File.WriteAllText(Path.Combine(empty, "config.json"), HfTestFolder.ReadJson(Path.Combine(broken.Folder, "tokenizer_config.json")).ToJsonString());
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json", Fails(empty).Message);
    }

    [Fact]
    public void Tensors_beyond_the_supported_model_are_refused_not_dropped()
    {
        var f = Folder("extra").Write();
        var tensors = f.Tensors().Select(t => (t.Name, t.Name.EndsWith("inv_freq", StringComparison.Ordinal) ? "F32" : "F32", t.Shape, f.Written[t.Name])).ToList();
        tensors.Add(("model.layers.0.mlp.gate_proj.bias", "F32", [32L], new byte[128]));
        HfTestFolder.WriteSafetensors(Path.Combine(f.Folder, "model.safetensors"), tensors);
        Assert.Contains("model.layers.0.mlp.gate_proj.bias is not used", Fails(f.Folder).Message);

        tensors.RemoveAt(tensors.Count - 1);
        tensors.RemoveAll(t => t.Name == "model.layers.1.mlp.up_proj.weight");
        HfTestFolder.WriteSafetensors(Path.Combine(f.Folder, "model.safetensors"), tensors);
        Assert.Contains("tensor blk.1.ffn_up.weight is missing", Fails(f.Folder).Message);

        // An exotic dtype is fine on the dropped rotary buffer, an error on a weight.
        tensors = f.Tensors().Select(t => (t.Name, t.Name.EndsWith("inv_freq", StringComparison.Ordinal) ? "I64" : "F32", t.Shape, t.Name.EndsWith("inv_freq", StringComparison.Ordinal) ? new byte[16] : f.Written[t.Name])).ToList();
        HfTestFolder.WriteSafetensors(Path.Combine(f.Folder, "model.safetensors"), tensors);
        using (ModelLoader.Load(f.Folder))
        {
        }

        tensors[0] = (tensors[0].Item1, "I8", tensors[0].Shape, new byte[160]);
        HfTestFolder.WriteSafetensors(Path.Combine(f.Folder, "model.safetensors"), tensors);
        Assert.Contains("tensor 'model.embed_tokens.weight' has dtype I8 (supported: F32, F16, BF16)", Fails(f.Folder).Message);
    }

    [Fact]
    public void Bad_indexes_are_rejected()
    {
        var f = Folder("idx", shards: 2).Write();
        string index = Path.Combine(f.Folder, "model.safetensors.index.json");
        var original = HfTestFolder.ReadJson(index);

        var escape = original.DeepClone().AsObject();
        escape["weight_map"]!["model.norm.weight"] = "../outside.safetensors";
        HfTestFolder.WriteJson(index, escape);
        Assert.Contains("invalid shard '../outside.safetensors'", Fails(f.Folder).Message);

        var missing = original.DeepClone().AsObject();
        missing["weight_map"]!["extra.weight"] = "model-00009-of-00009.safetensors";
        HfTestFolder.WriteJson(index, missing);
        Assert.Contains("shard model-00009-of-00009.safetensors named by model.safetensors.index.json is missing", Fails(f.Folder).Message);

        var ghost = original.DeepClone().AsObject();
        ghost["weight_map"]!["model.ghost.weight"] = "model-00001-of-00002.safetensors";
        HfTestFolder.WriteJson(index, ghost);
        Assert.Contains("lists 'model.ghost.weight'", Fails(f.Folder).Message);

        var moved = original.DeepClone().AsObject();
        moved["weight_map"]!["model.norm.weight"] = "model-00001-of-00002.safetensors";
        HfTestFolder.WriteJson(index, moved);
        Assert.Contains("holds 'model.norm.weight', which model.safetensors.index.json places in model-00001-of-00002.safetensors", Fails(f.Folder).Message);

        HfTestFolder.WriteJson(index, new JsonObject { ["metadata"] = new JsonObject() });
        Assert.Contains("has no weight_map object", Fails(f.Folder).Message);
    }

    [Fact]
    public void Every_truncation_of_a_safetensors_file_is_a_clear_format_error()
    {
        var f = Folder("trunc", "F16").Write();
        byte[] bytes = File.ReadAllBytes(Path.Combine(f.Folder, "model.safetensors"));
        Assert.NotEmpty(SafetensorsFile.ReadHeader(bytes, bytes.Length, "m").Entries);
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Record.Exception(() => SafetensorsFile.ReadHeader(bytes.AsSpan(0, n), n, "m"));
            Assert.True(e is ModelFormatException, $"prefix {n}: {e?.GetType().Name}: {e?.Message}");
        }

        string file = Path.Combine(f.Folder, "model.safetensors");
        for (int n = 0; n < bytes.Length; n += 1013)
        {
            File.WriteAllBytes(file, bytes[..n]);
            var e = Record.Exception(() => ModelLoader.Load(f.Folder).Dispose());
            Assert.True(e is ModelFormatException, $"file prefix {n}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Hostile_headers_fail_with_a_message()
    {
        string Header(string json)
        {
            var j = Encoding.UTF8.GetBytes(json);
            return Check([.. BitConverter.GetBytes((ulong)j.Length), .. j, .. new byte[64]]);
        }

        string Check(byte[] bytes)
        {
            var e = Record.Exception(() => SafetensorsFile.ReadHeader(bytes, bytes.Length, "h"));
            Assert.True(e is ModelFormatException, $"{e?.GetType().Name}: {e?.Message}");
            return e!.Message;
        }

        Assert.Contains("header length 18446744073709551615", Check([.. BitConverter.GetBytes(ulong.MaxValue), .. new byte[16]]));
        Assert.Contains("header length 1000", Check([.. BitConverter.GetBytes(1000UL), .. "{}"u8.ToArray()]));
        Assert.Contains("header length 0", Check(new byte[16]));
        Assert.Contains("too short", Check([1, 2, 3]));
        Assert.Contains("not valid JSON", Header("{\"a\": "));
        Assert.Contains("root is not an object", Header("[1]"));
        Assert.Contains("lacks a dtype", Header("{\"a\": {\"shape\": [2], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("lacks a dtype", Header("{\"a\": 5}"));
        Assert.Contains("invalid dimension -2", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("invalid dimension 1.5", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("invalid dimension \"2\"", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [\"2\"], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("absurd element count", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("data [8, 0) is outside", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}"));
        Assert.Contains("is outside the 64 data bytes", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 9999999999999]}}"));
        Assert.Contains("needs 8 bytes but its data_offsets span 12", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 12]}}"));
        Assert.Contains("overlap", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"));
        Assert.Contains("duplicate tensor name 'a'", Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}"));
        Assert.Contains("not valid UTF-8", Check([.. BitConverter.GetBytes(4UL), 0x7B, 0xFF, 0xFE, 0x7D, .. new byte[8]]));
        Assert.Contains("unreadable safetensors header text", Header("{\"\\ud800\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}"));
        Assert.Contains("unreadable safetensors header text", Header("{\"a\": {\"dtype\": \"\\udc00\", \"shape\": [2], \"data_offsets\": [0, 8]}}"));
    }

    [Fact]
    public void Random_header_corruption_never_escapes_as_another_exception_type()
    {
        var f = Folder("fuzz", "BF16").Write();
        byte[] valid = File.ReadAllBytes(Path.Combine(f.Folder, "model.safetensors"));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        var rng = new Random(99);
        for (int iter = 0; iter < 4000; iter++)
        {
            var bytes = (byte[])valid.Clone();
            int edits = rng.Next(1, 5);
            for (int i = 0; i < edits; i++)
            {
                const string alphabet = "0123456789[]{},:\"-.eE \u00ff";
                bytes[rng.Next(0, headerEnd)] = (byte)alphabet[rng.Next(alphabet.Length)];
            }

            var e = Record.Exception(() => SafetensorsFile.ReadHeader(bytes, bytes.Length, "fuzz"));
            Assert.True(e is null or ModelFormatException, $"iteration {iter}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void The_metadata_block_is_exposed()
    {
        var f = Folder("meta").Write();
        var tensors = f.Tensors().Select(t => (t.Name, "F32", t.Shape, f.Written[t.Name])).ToList();
        HfTestFolder.WriteSafetensors(Path.Combine(f.Folder, "model.safetensors"), tensors, new JsonObject { ["format"] = "pt" });
        using var m = ModelLoader.Load(f.Folder);
        Assert.Equal("pt", m.Metadata["safetensors.format"]);
    }

    [Fact]
    public void Lead_api_reads_every_tensor_of_a_file_under_its_own_name()
    {
        var f = Folder("raw", "F16").Write();
        using var map = MappedFile.Open(Path.Combine(f.Folder, "model.safetensors"));
        var all = SafetensorsFile.Read(map);
        Assert.Equal(f.Tensors().Count, all.Count);
        var q = all.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight");
        Assert.Equal([16L, 16], q.Shape);
        Assert.Equal(GgmlType.F16, q.Type);
    }
}
