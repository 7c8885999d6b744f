using System.Globalization;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Gguf;

/// <summary>Opens a GGUF file as a <see cref="LoadedModel"/> (architectures "llama" and "qwen2").</summary>
public static unsafe class GgufModelLoader
{
    public static LoadedModel Load(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            var header = GgufReader.ReadHeader(file.HeaderSpan, Path.GetFileName(path));
            var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
            foreach (var t in header.Tensors)
            {
                tensors[t.Name] = new WeightTensor
                {
                    Name = t.Name,
                    Type = t.Type,
                    Shape = t.Shape,
                    Data = (nint)(file.Pointer + header.DataOffset + (long)t.Offset),
                    ByteLength = t.ByteLength,
                };
            }

            var config = Config(header.Metadata, tensors, Path.GetFileName(path));
            var tokenizer = Tokenizer(header.Metadata);
            return new LoadedModel("gguf", config, tensors, tokenizer, header.Metadata, file.Length, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static ModelConfig Config(IReadOnlyDictionary<string, object> m, Dictionary<string, WeightTensor> tensors, string file)
    {
        string arch = Str(m, "general.architecture") ?? throw new ModelFormatException($"{file}: general.architecture is missing");
        var architecture = arch switch
        {
            "llama" or "mistral" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            _ => throw new ModelFormatException($"{file}: architecture '{arch}' is not supported (supported: llama, mistral, qwen2)"),
        };
        int dim = Req(m, $"{arch}.embedding_length", file);
        int heads = Req(m, $"{arch}.attention.head_count", file);
        int layers = Req(m, $"{arch}.block_count", file);
        int hidden = Req(m, $"{arch}.feed_forward_length", file);
        int kvHeads = Int(m, $"{arch}.attention.head_count_kv") ?? heads;
        if (dim <= 0 || heads <= 0 || layers <= 0 || hidden <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || layers > 1024)
        {
            throw new ModelFormatException($"{file}: inconsistent hyperparameters (dim {dim}, heads {heads}, kv heads {kvHeads}, layers {layers}, ffn {hidden})");
        }

        int headDim = Int(m, $"{arch}.attention.key_length") ?? (dim / heads);
        if (!tensors.TryGetValue("token_embd.weight", out var emb))
        {
            throw new ModelFormatException($"{file}: tensor token_embd.weight is missing");
        }

        int vocab = (int)emb.Rows;
        if (m.TryGetValue("tokenizer.ggml.tokens", out var toks) && toks is string[] list && list.Length != vocab)
        {
            throw new ModelFormatException($"{file}: the tokenizer has {list.Length} tokens but the embedding has {vocab} rows");
        }

        for (int i = 0; i < layers; i++)
        {
            foreach (var n in new[] { "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down" })
            {
                if (!tensors.ContainsKey($"blk.{i}.{n}.weight"))
                {
                    throw new ModelFormatException($"{file}: tensor blk.{i}.{n}.weight is missing");
                }
            }
        }

        if (!tensors.ContainsKey("output_norm.weight"))
        {
            throw new ModelFormatException($"{file}: tensor output_norm.weight is missing");
        }

        RopeScaling? scaling = null;
        if (Str(m, $"{arch}.rope.scaling.type") == "llama3" && !tensors.ContainsKey("rope_freqs.weight"))
        {
            scaling = new RopeScaling(
                Flt(m, $"{arch}.rope.scaling.factor") ?? 8f, 1f, 4f,
                Int(m, $"{arch}.rope.scaling.original_context_length") ?? 8192);
        }

        return new ModelConfig
        {
            Architecture = architecture,
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            ContextLength = Int(m, $"{arch}.context_length") ?? 2048,
            RmsNormEps = Flt(m, $"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f,
            RopeTheta = Flt(m, $"{arch}.rope.freq_base") ?? 10000f,
            RopeDimensions = Int(m, $"{arch}.rope.dimension_count") ?? headDim,
            // llama.cpp's converter permutes Q/K of "llama" so adjacent pairs rotate; qwen2 keeps NEOX order.
            RopeLayout = architecture == ModelArchitecture.Qwen2 ? RopeLayout.HalfSplit : RopeLayout.Interleaved,
            RopeScaling = scaling,
            AttentionBias = tensors.ContainsKey("blk.0.attn_q.bias"),
            TiedEmbeddings = !tensors.ContainsKey("output.weight"),
            Name = Str(m, "general.name"),
        };
    }

    private static TokenizerData? Tokenizer(IReadOnlyDictionary<string, object> m)
    {
        string? model = Str(m, "tokenizer.ggml.model");
        if (model is null || !m.TryGetValue("tokenizer.ggml.tokens", out var t) || t is not string[] tokens)
        {
            return null;
        }

        var kind = model switch
        {
            "llama" => TokenizerKind.SentencePiece,
            "gpt2" => TokenizerKind.ByteLevelBpe,
            _ => throw new ModelFormatException($"tokenizer model '{model}' is not supported (supported: llama, gpt2)"),
        };
        float[]? scores = m.TryGetValue("tokenizer.ggml.scores", out var s) ? s as float[] : null;
        int[]? types = m.TryGetValue("tokenizer.ggml.token_type", out var ty) ? ty as int[] : null;
        string[]? merges = m.TryGetValue("tokenizer.ggml.merges", out var mg) ? mg as string[] : null;
        if ((scores is not null && scores.Length != tokens.Length) || (types is not null && types.Length != tokens.Length))
        {
            throw new ModelFormatException("tokenizer scores or token types do not match the token count");
        }

        var eot = new List<int>();
        foreach (var key in new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
        {
            if (Int(m, key) is int id && id >= 0 && id < tokens.Length)
            {
                eot.Add(id);
            }
        }

        return new TokenizerData
        {
            Kind = kind,
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            Merges = merges,
            PreTokenizer = Str(m, "tokenizer.ggml.pre"),
            BosId = Int(m, "tokenizer.ggml.bos_token_id") ?? (kind == TokenizerKind.SentencePiece ? 1 : -1),
            EosId = Int(m, "tokenizer.ggml.eos_token_id") ?? (kind == TokenizerKind.SentencePiece ? 2 : -1),
            UnkId = Int(m, "tokenizer.ggml.unknown_token_id") ?? (kind == TokenizerKind.SentencePiece ? 0 : -1),
            PadId = Int(m, "tokenizer.ggml.padding_token_id") ?? -1,
            EotIds = eot,
            AddBos = Bool(m, "tokenizer.ggml.add_bos_token") ?? (kind == TokenizerKind.SentencePiece),
            AddEos = Bool(m, "tokenizer.ggml.add_eos_token") ?? false,
            AddSpacePrefix = Bool(m, "tokenizer.ggml.add_space_prefix") ?? (kind == TokenizerKind.SentencePiece),
            ChatTemplate = Str(m, "tokenizer.chat_template"),
        };
    }

    private static string? Str(IReadOnlyDictionary<string, object> m, string key) => m.TryGetValue(key, out var v) ? v as string : null;

    private static int? Int(IReadOnlyDictionary<string, object> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v is string or Array or bool)
        {
            return null;
        }

        // Token ids are written as uint32 with 0xFFFFFFFF meaning "none" (llama.cpp's LLAMA_TOKEN_NULL).
        if (v is uint u && u == uint.MaxValue)
        {
            return -1;
        }

        try
        {
            return checked((int)Convert.ToInt64(v, CultureInfo.InvariantCulture));
        }
        catch (OverflowException)
        {
            throw new ModelFormatException($"metadata '{key}' value {v} is out of range");
        }
    }

    private static float? Flt(IReadOnlyDictionary<string, object> m, string key) =>
        m.TryGetValue(key, out var v) && v is not string and not Array and not bool ? Convert.ToSingle(v, CultureInfo.InvariantCulture) : null;

    private static bool? Bool(IReadOnlyDictionary<string, object> m, string key) => m.TryGetValue(key, out var v) && v is bool b ? b : null;

    private static int Req(IReadOnlyDictionary<string, object> m, string key, string file) =>
        Int(m, key) ?? throw new ModelFormatException($"{file}: metadata '{key}' is missing");
}
