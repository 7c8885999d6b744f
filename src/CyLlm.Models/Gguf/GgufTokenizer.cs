using CyLlm.Tokenizers;
using static CyLlm.Models.Gguf.GgufMetadata;

namespace CyLlm.Models.Gguf;

/// <summary>
/// The tokenizer described by GGUF metadata (tokenizer.ggml.*), with llama.cpp's defaults (llama-vocab.cpp,
/// load) for every key a file may leave out, so that the same file tokenizes the same way in both engines.
/// </summary>
internal static class GgufTokenizer
{
    // Pre-tokenizers for which llama.cpp adds BOS by default (add_bos = true in llama-vocab.cpp).
    private static readonly HashSet<string> AddBosPre = new(StringComparer.Ordinal)
    {
        "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano", "tekken",
    };

    /// <summary>llama.cpp's default for add_bos of a byte-level BPE vocabulary with this pre-tokenizer.</summary>
    public static bool AddsBosByDefault(string? pre) => pre is not null && AddBosPre.Contains(pre);

    /// <summary>The tokenizer, or null when the file has none (no tokenizer.ggml.model, or "none"/"no_vocab").</summary>
    public static TokenizerData? FromMetadata(IReadOnlyDictionary<string, object> m, string file)
    {
        string? model = Str(m, "tokenizer.ggml.model");
        if (model is null or "none" or "no_vocab")
        {
            return null;
        }

        var kind = model switch
        {
            "llama" => TokenizerKind.SentencePiece,
            "gpt2" => TokenizerKind.ByteLevelBpe,
            _ => throw new ModelFormatException($"{file}: tokenizer model '{model}' is not supported (supported: llama, gpt2)"),
        };
        string[] tokens = StringArray(m, "tokenizer.ggml.tokens") ?? throw new ModelFormatException($"{file}: tokenizer.ggml.tokens is missing");
        if (tokens.Length == 0)
        {
            throw new ModelFormatException($"{file}: tokenizer.ggml.tokens is empty");
        }

        float[]? scores = FloatArray(m, "tokenizer.ggml.scores");
        int[]? types = IntArray(m, "tokenizer.ggml.token_type");
        string[]? merges = StringArray(m, "tokenizer.ggml.merges");
        if (scores is not null && scores.Length != tokens.Length)
        {
            throw new ModelFormatException($"{file}: tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");
        }

        if (types is not null && types.Length != tokens.Length)
        {
            throw new ModelFormatException($"{file}: tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
        }

        if (kind == TokenizerKind.ByteLevelBpe && merges is null)
        {
            throw new ModelFormatException($"{file}: a gpt2 (byte-level BPE) tokenizer needs tokenizer.ggml.merges");
        }

        string? pre = Str(m, "tokenizer.ggml.pre");
        bool spm = kind == TokenizerKind.SentencePiece;

        // llama.cpp's defaults: SentencePiece 1/2/0; its BPE default of 11 is kept for agreement on files that
        // omit the keys (converters always write them).
        int bos = Special(m, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, tokens.Length);
        int eos = Special(m, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, tokens.Length);
        var eot = new List<int>();
        foreach (var key in new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
        {
            int id = Special(m, key, -1, tokens.Length);
            if (id >= 0 && !eot.Contains(id))
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
            PreTokenizer = pre,
            BosId = bos,
            EosId = eos,
            UnkId = Special(m, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, tokens.Length),
            PadId = Special(m, "tokenizer.ggml.padding_token_id", -1, tokens.Length),
            EotIds = eot,
            AddBos = Bool(m, "tokenizer.ggml.add_bos_token") ?? (spm || AddsBosByDefault(pre)),
            AddEos = Bool(m, "tokenizer.ggml.add_eos_token") ?? false,
            AddSpacePrefix = Bool(m, "tokenizer.ggml.add_space_prefix") ?? spm,
            ChatTemplate = Str(m, "tokenizer.chat_template"),
            RStripIds = Phi3RStrip(Str(m, "general.name"), tokens, types),
        };
    }

    /// <summary>
    /// llama.cpp's per-model token attributes for Phi-3 (llama-vocab.cpp, chosen by general.name containing "phi-3" or
    /// "phi3", case-insensitive): every control, user-defined and unknown token and "&lt;/s&gt;" swallow the whitespace
    /// after them, except "&lt;unk&gt;", "&lt;s&gt;" and "&lt;|endoftext|&gt;" — so the "\n" Phi-3's chat template writes
    /// after &lt;|user|&gt;, &lt;|end|&gt; and &lt;|assistant|&gt; is not encoded, as in the model's own Hugging Face tokenizer.
    /// Empty for any other name.
    /// </summary>
    private static int[] Phi3RStrip(string? name, string[] tokens, int[]? types)
    {
        string lower = (name ?? "").ToLowerInvariant();
        if (!lower.Contains("phi-3", StringComparison.Ordinal) && !lower.Contains("phi3", StringComparison.Ordinal))
        {
            return [];
        }

        var ids = new List<int>();
        for (int i = 0; i < tokens.Length; i++)
        {
            bool special = types is not null && types[i] is 2 or 3 or 4;
            if ((special || tokens[i] == "</s>") && tokens[i] is not ("<unk>" or "<s>" or "<|endoftext|>"))
            {
                ids.Add(i);
            }
        }

        return ids.ToArray();
    }

    /// <summary>A special token id. As in llama.cpp, an id outside the vocabulary (including "none",
    /// 0xFFFFFFFF) keeps the default, and a default outside the vocabulary is -1.</summary>
    private static int Special(IReadOnlyDictionary<string, object> m, string key, int fallback, int count)
    {
        int? id = TokenId(m, key);
        if (id is int i && i >= 0 && i < count)
        {
            return i;
        }

        return fallback < count ? fallback : -1;
    }
}
