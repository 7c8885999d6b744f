using System.Diagnostics;
using CyLlm.Tokenizers;
using static CyLlm.Models.Gguf.GgufMetadata;

namespace CyLlm.Models.Gguf;

/// <summary>
/// Opens a GGUF file (v2/v3) as a <see cref="LoadedModel"/>: architectures "llama" (and "mistral" written with
/// the llama key set; with {arch}.expert_count &gt; 0, Mixtral-style mixture of experts), "qwen2", "qwen3",
/// "qwen3moe", "qwen2moe" (with shared experts), "gemma2", "gemma3" (text), "phi3" (Phi-3, Phi-3.5, Phi-4) and "gpt-oss". Tensors keep their GGUF names and point into the read-only memory map.
/// </summary>
public static unsafe class GgufModelLoader
{
    /// <summary>Memory-maps and loads <paramref name="path"/>; the result owns the map.</summary>
    public static LoadedModel Load(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Load(file.Pointer, file.Length, Path.GetFileName(path), file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the tokenizer of a GGUF file (any architecture, no tensor checks).</summary>
    public static TokenizerData? LoadTokenizer(string path)
    {
        using var file = MappedFile.Open(path);
        var header = GgufReader.ReadHeader(file.HeaderSpan, file.Length, Path.GetFileName(path));
        return GgufTokenizer.FromMetadata(header.Metadata, Path.GetFileName(path));
    }

    /// <summary>
    /// Loads a GGUF image of <paramref name="length"/> bytes at <paramref name="data"/> (a mapped file, or
    /// memory in tests). <paramref name="owner"/>, if any, is disposed with the model and must keep the bytes alive.
    /// </summary>
    internal static LoadedModel Load(byte* data, long length, string name, IDisposable? owner)
    {
        Debug.Assert(data != null && length >= 0, "a valid image");
        var header = GgufReader.ReadHeader(new ReadOnlySpan<byte>(data, (int)Math.Min(length, int.MaxValue)), length, name);
        var tensors = new Dictionary<string, WeightTensor>(header.Tensors.Count, StringComparer.Ordinal);
        foreach (var t in header.Tensors)
        {
            tensors[t.Name] = new WeightTensor
            {
                Name = t.Name,
                Type = t.Type,
                Shape = t.Shape,
                Data = (nint)(data + header.DataOffset + (long)t.Offset),
                ByteLength = t.ByteLength,
            };
        }

        var tokenizer = GgufTokenizer.FromMetadata(header.Metadata, name);
        var config = Config(header.Metadata, tensors, tokenizer, name);
        ModelValidator.Validate(config, tensors, name);
        var metadata = new Dictionary<string, object>(header.Metadata, StringComparer.Ordinal)
        {
            ["gguf.version"] = header.Version,
            ["gguf.tensor_count"] = header.Tensors.Count,
            ["gguf.data_offset"] = header.DataOffset,
        };
        return owner is null
            ? new LoadedModel("gguf", config, tensors, tokenizer, metadata, length)
            : new LoadedModel("gguf", config, tensors, tokenizer, metadata, length, owner);
    }

    private static ModelConfig Config(IReadOnlyDictionary<string, object> m, Dictionary<string, WeightTensor> tensors, TokenizerData? tokenizer, string file)
    {
        string arch = Str(m, "general.architecture") ?? throw new ModelFormatException($"{file}: general.architecture is missing");
        var architecture = arch switch
        {
            "llama" or "mistral" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "qwen3" => ModelArchitecture.Qwen3,
            "qwen3moe" => ModelArchitecture.Qwen3Moe,
            "qwen2moe" => ModelArchitecture.Qwen2Moe,
            "gemma2" => ModelArchitecture.Gemma2,
            "gemma3" => ModelArchitecture.Gemma3,
            "phi3" => ModelArchitecture.Phi3,
            "gpt-oss" => ModelArchitecture.GptOss,
            _ => throw new ModelFormatException($"{file}: architecture '{arch}' is not supported (supported: llama, mistral, qwen2, qwen3, qwen3moe, qwen2moe, gemma2, gemma3, phi3, gpt-oss)"),
        };

        // llama.cpp writes Mistral models as "llama"; a file that says "mistral" is accepted when it uses the
        // llama key set, under either prefix.
        string k = arch == "mistral" && !m.ContainsKey("mistral.embedding_length") ? "llama" : arch;
        int experts = Int(m, $"{k}.expert_count") ?? 0;
        int expertsUsed = Int(m, $"{k}.expert_used_count") ?? 0;
        bool moeArch = architecture is ModelArchitecture.Qwen3Moe or ModelArchitecture.Qwen2Moe or ModelArchitecture.GptOss;
        if (experts < 0 || (experts > 0 && (expertsUsed <= 0 || expertsUsed > experts)) || (moeArch && experts == 0))
        {
            throw new ModelFormatException($"{file}: mixture-of-experts keys {k}.expert_count {experts} and {k}.expert_used_count {expertsUsed} are inconsistent (a MoE model routes each token to 1..expert_count experts{(moeArch ? $"; {arch} needs experts" : "")})");
        }

        if (experts > 0 && architecture == ModelArchitecture.Qwen2)
        {
            // Qwen2-MoE is its own llama.cpp architecture (qwen2moe, with shared experts); a "qwen2" file with
            // experts is not a model CyLlm knows how to run.
            throw new ModelFormatException($"{file}: mixture-of-experts qwen2 models ({k}.expert_count {experts}) are not supported");
        }

        int dim = Req(IntOrUniformArray(m, $"{k}.embedding_length"), $"{k}.embedding_length", file);
        int heads = Req(IntOrUniformArray(m, $"{k}.attention.head_count"), $"{k}.attention.head_count", file);
        int layers = Req(Int(m, $"{k}.block_count"), $"{k}.block_count", file);
        // Each expert's FFN width: Mixtral ("llama") uses feed_forward_length; qwen3moe, qwen2moe and gpt-oss have their
        // own key and, like llama.cpp, fall back to feed_forward_length / expert_used_count without it.
        int? expertHidden = moeArch ? IntOrUniformArray(m, $"{k}.expert_feed_forward_length") : null;
        int hidden = expertHidden
            ?? (moeArch
                ? Req(IntOrUniformArray(m, $"{k}.feed_forward_length"), $"{k}.feed_forward_length", file) / expertsUsed
                : Req(IntOrUniformArray(m, $"{k}.feed_forward_length"), $"{k}.feed_forward_length", file));

        // Qwen2-MoE's shared expert: {k}.expert_shared_feed_forward_length wide, else feed_forward_length (llama.cpp's
        // n_ff_shexp fallback).
        int sharedHidden = architecture == ModelArchitecture.Qwen2Moe
            ? Int(m, $"{k}.expert_shared_feed_forward_length") is int sh && sh > 0 ? sh : Req(IntOrUniformArray(m, $"{k}.feed_forward_length"), $"{k}.feed_forward_length", file)
            : 0;
        int context = Req(Int(m, $"{k}.context_length"), $"{k}.context_length", file);
        float eps = Req(Float(m, $"{k}.attention.layer_norm_rms_epsilon"), $"{k}.attention.layer_norm_rms_epsilon", file);
        int kvHeads = IntOrUniformArray(m, $"{k}.attention.head_count_kv") ?? heads;
        if (heads <= 0 || dim <= 0)
        {
            throw new ModelFormatException($"{file}: embedding_length {dim} and head_count {heads} must be positive");
        }

        int? keyLength = Int(m, $"{k}.attention.key_length");
        int? valueLength = Int(m, $"{k}.attention.value_length");
        if (keyLength is null && dim % heads != 0)
        {
            throw new ModelFormatException($"{file}: embedding_length {dim} is not a multiple of head_count {heads} and attention.key_length is absent");
        }

        int headDim = keyLength ?? (dim / heads);
        if (valueLength is int vl && vl != headDim)
        {
            throw new ModelFormatException($"{file}: attention.value_length {vl} differs from key_length {headDim}, which CyLlm does not support");
        }

        var emb = tensors.GetValueOrDefault("token_embd.weight") ?? throw new ModelFormatException($"{file}: tensor token_embd.weight is missing");
        int vocab = tokenizer?.Tokens.Count ?? (int)Math.Min(emb.Rows, int.MaxValue);
        if (emb.Rows != vocab)
        {
            throw new ModelFormatException($"{file}: the tokenizer has {vocab} tokens but token_embd.weight has {emb.Rows} rows");
        }

        if (Int(m, $"{k}.vocab_size") is int declared && declared != vocab)
        {
            throw new ModelFormatException($"{file}: {k}.vocab_size is {declared} but the vocabulary has {vocab} tokens");
        }

        var config = new ModelConfig
        {
            Architecture = architecture,
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            ContextLength = context,
            RmsNormEps = eps,
            RopeTheta = Float(m, $"{k}.rope.freq_base") ?? 10000f,
            RopeDimensions = Int(m, $"{k}.rope.dimension_count") ?? headDim,
            // llama.cpp's converter permutes Q/K of "llama" so that adjacent pairs rotate; qwen2 and qwen3 keep
            // the NEOX (half-split) order of the Hugging Face weights (llama.cpp takes the rope type from the
            // architecture, not from metadata).
            RopeLayout = architecture == ModelArchitecture.Llama ? RopeLayout.Interleaved : RopeLayout.HalfSplit,
            RopeScaling = (architecture == ModelArchitecture.Gemma3 && LinearFactor(m, k) > 0) || IsYarn(m, k) ? null : Scaling(m, k, file),
            Yarn = IsYarn(m, k) ? Yarn(m, k, file) : null,
            RopeAttentionFactor = Float(m, $"{k}.rope.scaling.attn_factor") ?? 0f,
            RopeOriginalContext = Int(m, $"{k}.rope.scaling.original_context_length") ?? 0,
            FusedQkv = tensors.ContainsKey("blk.0.attn_qkv.weight"),
            FusedGateUp = architecture == ModelArchitecture.Phi3,
            AttentionBias = tensors.ContainsKey("blk.0.attn_q.bias"),
            // Required by the architecture, not inferred from the tensors: a qwen3 file without them must fail
            // validation by name instead of running as Llama.
            QkNorm = architecture is ModelArchitecture.Qwen3 or ModelArchitecture.Qwen3Moe or ModelArchitecture.Gemma3,
            ExpertCount = experts,
            ExpertUsedCount = experts > 0 ? expertsUsed : 0,
            ExpertWeightsScale = Float(m, $"{k}.expert_weights_scale") ?? 0f,
            // llama.cpp's qwen2moe graph calls build_moe_ffn with norm_w = false: the k probabilities are used as they are.
            ExpertWeightsNormalized = architecture != ModelArchitecture.Qwen2Moe,
            SharedExpertHiddenDim = sharedHidden,
            TiedEmbeddings = !tensors.ContainsKey("output.weight"),
            Name = Str(m, "general.name"),
        };
        if (architecture == ModelArchitecture.Llama && Int(m, $"{k}.attention.sliding_window") is int w && w > 0)
        {
            // Mistral 7B v0.1's window (4096) on every layer, as transformers' MistralModel applies it. llama.cpp's llama
            // graph ignores the key (its converter never writes a nonzero one), so the two differ only past w tokens.
            config = config with { SlidingWindow = w, SlidingWindowPattern = 0 };
        }

        return config.Gemma ? GemmaConfig(config, m, k, file)
            : architecture == ModelArchitecture.GptOss ? GptOssConfig(config, m, k, file)
            : config;
    }

    /// <summary>
    /// The gpt-oss hyperparameters as llama.cpp's src/models/openai-moe.cpp reads them: the window
    /// {k}.attention.sliding_window (required) on every other layer starting with layer 0 (load_swa_pattern(ml, 2), or a
    /// {k}.attention.sliding_window_pattern), the same RoPE (YaRN included) on sliding and global layers, a router whose
    /// bias joins its logits and whose k largest logits are softmaxed among themselves (SOFTMAX_WEIGHT, no
    /// renormalisation), biased experts with the clamped SwiGLU (swiglu_oai: alpha 1.702, limit 7, constants of the
    /// graph, not metadata), per-head attention sinks, an output bias on attention, and an untied output head.
    /// </summary>
    private static ModelConfig GptOssConfig(ModelConfig c, IReadOnlyDictionary<string, object> m, string k, string file)
    {
        if (c.TiedEmbeddings)
        {
            // llama.cpp creates output.weight as a required tensor for this architecture.
            throw new ModelFormatException($"{file}: tensor output.weight is missing (gpt-oss has an untied output head)");
        }

        int window = Req(Int(m, $"{k}.attention.sliding_window"), $"{k}.attention.sliding_window", file);
        if (window <= 0)
        {
            throw new ModelFormatException($"{file}: metadata '{k}.attention.sliding_window' is {window}; gpt-oss needs a positive window");
        }

        int pattern = 2;
        if (m.TryGetValue($"{k}.attention.sliding_window_pattern", out var p))
        {
            pattern = p is Array a ? PatternPeriod(a, c.Layers, $"{k}.attention.sliding_window_pattern", file) : Req(Int(m, $"{k}.attention.sliding_window_pattern"), $"{k}.attention.sliding_window_pattern", file);
        }

        if (Float(m, $"{k}.rope.freq_base_swa") is float swaBase && swaBase != c.RopeTheta)
        {
            // The local layers would need their own YaRN-scaled frequencies; no released gpt-oss file has a second base.
            throw new ModelFormatException($"{file}: metadata '{k}.rope.freq_base_swa' ({swaBase}) differs from rope.freq_base ({c.RopeTheta}), which CyLlm does not support for gpt-oss");
        }

        return c with
        {
            SlidingWindow = window,
            SlidingWindowPattern = pattern,
            ExpertGating = ExpertGating.SoftmaxOverSelected,
            ExpertWeightsNormalized = false,
            ExpertBiases = true,
            SwiGluLimit = 7f,
            SwiGluAlpha = 1.702f,
            AttentionSinks = true,
            AttentionOutputBias = true,
            FfnNormIsPostAttentionNorm = true,
        };
    }

    /// <summary>
    /// The Gemma 2 / Gemma 3 hyperparameters, as llama.cpp's src/models/gemma2.cpp and gemma3.cpp read them.
    /// Gemma 2: soft-caps {k}.attn_logit_softcapping (default 50) and {k}.final_logit_softcapping (default 30),
    /// window {k}.attention.sliding_window (default 4096) on every other layer, local RoPE base
    /// {k}.rope.freq_base_swa (default: the global base). Gemma 3: no attention soft-cap, a final soft-cap only
    /// when the key is present, sliding layers only when the window key is present and positive (five local per
    /// global), local RoPE base {k}.rope.freq_base_swa (default 10000). Both: the query scale llama.cpp derives from
    /// the layer count (the 27B models, 46 and 62 layers, scale by 1/√(dim/heads), the others by 1/√head_dim; GGUF
    /// carries no query_pre_attn_scalar).
    /// </summary>
    private static ModelConfig GemmaConfig(ModelConfig c, IReadOnlyDictionary<string, object> m, string k, string file)
    {
        bool gemma2 = c.Architecture == ModelArchitecture.Gemma2;
        if (gemma2 && !c.TiedEmbeddings)
        {
            // llama.cpp's gemma2 always uses the embedding as the output head; a separate output.weight would be ignored.
            throw new ModelFormatException($"{file}: tensor output.weight is not used by Gemma 2 (the output head is the token embedding)");
        }

        int window = Int(m, $"{k}.attention.sliding_window") ?? (gemma2 ? 4096 : 0);
        int pattern = gemma2 ? 2 : 6;
        if (m.TryGetValue($"{k}.attention.sliding_window_pattern", out var p))
        {
            pattern = p is Array a ? PatternPeriod(a, c.Layers, $"{k}.attention.sliding_window_pattern", file) : Req(Int(m, $"{k}.attention.sliding_window_pattern"), $"{k}.attention.sliding_window_pattern", file);
        }

        int large = gemma2 ? 46 : 62;
        float scale = c.Layers == large ? 1f / MathF.Sqrt(c.Dim / c.Heads) : 1f / MathF.Sqrt(c.HeadDim);
        return c with
        {
            AttentionScale = scale,
            AttentionSoftcap = gemma2 ? Float(m, $"{k}.attn_logit_softcapping") ?? 50f : 0f,
            FinalLogitSoftcap = Float(m, $"{k}.final_logit_softcapping") ?? (gemma2 ? 30f : 0f),
            SlidingWindow = Math.Max(0, window),
            SlidingWindowPattern = pattern,
            LocalRopeTheta = Float(m, $"{k}.rope.freq_base_swa") ?? (gemma2 ? c.RopeTheta : 10000f),
            RopeLinearFactor = gemma2 ? 0f : LinearFactor(m, k),
        };
    }

    private static bool IsYarn(IReadOnlyDictionary<string, object> m, string k) => Str(m, $"{k}.rope.scaling.type") == "yarn";

    /// <summary>
    /// {k}.rope.scaling.type "yarn" as llama.cpp sets up ggml_rope_ext for it (llama-context.cpp): freq_scale = 1 / factor
    /// ({k}.rope.scaling.factor), n_ctx_orig = {k}.rope.scaling.original_context_length (else the training context),
    /// ext_factor 1, beta_fast 32 and beta_slow 1 unless {k}.rope.scaling.yarn_* say otherwise, and an attention factor
    /// that cancels the 0.1·ln(factor) + 1 llama.cpp's get_mscale would add on top of ggml's own (so 1, times
    /// {k}.rope.scaling.attn_factor), or with {k}.rope.scaling.yarn_log_multiplier m the DeepSeek ratio
    /// get_mscale(factor, 1) / get_mscale(factor, m) with the same cancellation.
    /// </summary>
    private static YarnScaling Yarn(IReadOnlyDictionary<string, object> m, string k, string file)
    {
        float factor = Float(m, $"{k}.rope.scaling.factor") ?? 0f;
        if (!(float.IsFinite(factor) && factor >= 1f))
        {
            throw new ModelFormatException($"{file}: YaRN RoPE scaling needs {k}.rope.scaling.factor of at least 1 (got {factor})");
        }

        static float MScale(float scale, float mscale) => scale <= 1f ? 1f : (0.1f * mscale * MathF.Log(scale)) + 1f;
        float ext = Float(m, $"{k}.rope.scaling.yarn_ext_factor") is float e && e >= 0 ? e : 1f;
        float attn = 1f;
        if (ext != 0)
        {
            float logMul = Float(m, $"{k}.rope.scaling.yarn_log_multiplier") ?? 0f;
            attn = logMul != 0 ? MScale(factor, 1f) / MScale(factor, logMul) : MScale(factor, 1f);
            attn *= 1f / (1f + (0.1f * MathF.Log(factor)));
        }

        attn *= Float(m, $"{k}.rope.scaling.attn_factor") ?? 1f;
        return new YarnScaling(
            factor,
            Int(m, $"{k}.rope.scaling.original_context_length") ?? Req(Int(m, $"{k}.context_length"), $"{k}.context_length", file),
            ext,
            attn,
            Float(m, $"{k}.rope.scaling.yarn_beta_fast") ?? 32f,
            Float(m, $"{k}.rope.scaling.yarn_beta_slow") ?? 1f);
    }

    /// <summary>The factor of {k}.rope.scaling.type "linear" (Gemma 3 only; elsewhere <see cref="Scaling"/> refuses it), else 0.</summary>
    private static float LinearFactor(IReadOnlyDictionary<string, object> m, string k)
    {
        float factor = Float(m, $"{k}.rope.scaling.factor") ?? 1f;
        return Str(m, $"{k}.rope.scaling.type") == "linear" && factor != 1f ? factor : 0f;
    }

    /// <summary>A per-layer sliding-window array (true = local) as the period n of <see cref="ModelConfig.SlidingWindowPattern"/>,
    /// or an error when the array is not such a pattern.</summary>
    private static int PatternPeriod(Array a, int layers, string key, string file)
    {
        if (a.Length == layers)
        {
            for (int n = 0; n <= layers; n++)
            {
                var probe = new ModelConfig { Architecture = ModelArchitecture.Gemma3, Dim = 1, HiddenDim = 1, Layers = layers, Heads = 1, KvHeads = 1, HeadDim = 1, VocabSize = 1, ContextLength = 1, SlidingWindow = 1, SlidingWindowPattern = n };
                bool match = true;
                for (int l = 0; l < layers && match; l++)
                {
                    match = a.GetValue(l) is bool b && b == probe.IsLocalLayer(l);
                }

                if (match)
                {
                    return n;
                }
            }
        }

        throw new ModelFormatException($"{file}: metadata '{key}' is a per-layer array that is not a periodic local/global pattern, which CyLlm does not support");
    }

    /// <summary>
    /// {arch}.rope.scaling.*: "llama3" maps to <see cref="RopeScaling"/> (llama.cpp's converter instead bakes
    /// Llama 3 scaling into the rope_freqs.weight tensor, which the forward pass prefers when present);
    /// "none" or a factor of 1 is no scaling; linear, YaRN and LongRoPE are refused rather than ignored.
    /// </summary>
    private static RopeScaling? Scaling(IReadOnlyDictionary<string, object> m, string k, string file)
    {
        string? type = Str(m, $"{k}.rope.scaling.type");
        float factor = Float(m, $"{k}.rope.scaling.factor") ?? 1f;
        if (type is null or "none" || (type != "llama3" && factor == 1f))
        {
            return null;
        }

        if (type != "llama3")
        {
            throw new ModelFormatException($"{file}: RoPE scaling type '{type}' (factor {factor}) is not supported (supported: llama3)");
        }

        return new RopeScaling(
            factor,
            Float(m, $"{k}.rope.scaling.low_freq_factor") ?? 1f,
            Float(m, $"{k}.rope.scaling.high_freq_factor") ?? 4f,
            Int(m, $"{k}.rope.scaling.original_context_length") ?? 8192);
    }

    private static T Req<T>(T? value, string key, string file)
        where T : struct =>
        value ?? throw new ModelFormatException($"{file}: metadata '{key}' is missing");
}
