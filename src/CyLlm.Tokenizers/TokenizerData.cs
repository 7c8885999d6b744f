namespace CyLlm.Tokenizers;

/// <summary>
/// Everything a model file says about its tokenizer, in one format-independent shape. Model loaders
/// (GGUF metadata, llama2.c tokenizer.bin, Hugging Face tokenizer.json) fill it; tokenizers are built from it.
/// </summary>
public sealed class TokenizerData
{
    public required TokenizerKind Kind { get; init; }

    /// <summary>Piece text per token id. SentencePiece pieces use U+2581 for a space as in GGUF; llama2.c
    /// vocabularies (which use an ASCII space) are normalised to U+2581 by their loader. Byte-level BPE
    /// pieces are in the GPT-2 byte-to-unicode alphabet.</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Per-token merge scores (SentencePiece); null for byte-level BPE.</summary>
    public IReadOnlyList<float>? Scores { get; init; }

    /// <summary>Per-token type as in GGUF <c>tokenizer.ggml.token_type</c>: 1 normal, 2 unknown, 3 control,
    /// 4 user defined, 5 unused, 6 byte. Null means all normal.</summary>
    public IReadOnlyList<int>? TokenTypes { get; init; }

    /// <summary>Byte-level BPE merges, "left right" per line, in rank order; null for SentencePiece.</summary>
    public IReadOnlyList<string>? Merges { get; init; }

    /// <summary>Pre-tokenizer name as GGUF spells it in <c>tokenizer.ggml.pre</c> ("default", "llama-bpe",
    /// "qwen2", "smollm", "gpt2", ...); null when the model does not say.</summary>
    public string? PreTokenizer { get; init; }

    public int BosId { get; init; } = -1;
    public int EosId { get; init; } = -1;
    public int UnkId { get; init; } = -1;
    public int PadId { get; init; } = -1;

    /// <summary>Extra end-of-turn / end-of-generation ids (e.g. Llama 3 <c>&lt;|eot_id|&gt;</c>).</summary>
    public IReadOnlyList<int> EotIds { get; init; } = [];

    /// <summary>Special tokens that swallow the whitespace right after them when they are matched in a prompt (llama.cpp's
    /// LLAMA_TOKEN_ATTR_RSTRIP, which it sets for Phi-3 by model name; Hugging Face added tokens with "rstrip": true):
    /// "&lt;|user|&gt;\nHi" encodes as &lt;|user|&gt; Hi.</summary>
    public IReadOnlyList<int> RStripIds { get; init; } = [];

    /// <summary>Whether encoding a prompt adds BOS by default (GGUF <c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos { get; init; } = true;

    public bool AddEos { get; init; }

    /// <summary>SentencePiece: prepend a space to the text before encoding (GGUF
    /// <c>tokenizer.ggml.add_space_prefix</c>, default true for "llama").</summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>The model's Jinja chat template (<c>tokenizer.chat_template</c>), if any.</summary>
    public string? ChatTemplate { get; init; }
}
