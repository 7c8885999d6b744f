namespace CyLlm.Tokenizers;

/// <summary>The tokenizer algorithm a model uses.</summary>
public enum TokenizerKind
{
    /// <summary>SentencePiece-style BPE driven by piece scores, with byte fallback (Llama 1/2, llama2.c, GGUF "llama").</summary>
    SentencePiece = 0,

    /// <summary>Byte-level BPE driven by merges, with a pre-tokenizer regex (GPT-2, Llama 3, Qwen2, SmolLM2; GGUF "gpt2").</summary>
    ByteLevelBpe = 1,
}
