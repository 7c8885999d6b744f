namespace CyLlm.Tokenizers.Bpe;

/// <summary>One splitting pass of a byte-level pre-tokenizer, named after the llama.cpp regex it implements.</summary>
internal enum PreTokenizerStage
{
    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)</c> (GPT-2).</summary>
    Gpt2,

    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c> (Llama 3).</summary>
    Llama3,

    /// <summary>The Llama 3 expression with single digits, <c>\p{N}</c> instead of <c>\p{N}{1,3}</c> (Qwen2).</summary>
    Qwen2,

    /// <summary>The o200k expression: letter runs split by case (upper* lower+ or upper+ lower*) with
    /// contractions, <c>\p{N}{1,3}</c>, punctuation runs with trailing <c>[\r\n/]*</c>, the Llama 3 whitespace
    /// rules (GPT-4o, Phi-4-mini, Llama 4).</summary>
    Gpt4o,

    /// <summary><c>\p{N}</c>: every digit on its own (StarCoder, SmolLM).</summary>
    SingleDigits,

    /// <summary><c>\p{N}+</c>.</summary>
    DigitRuns,

    /// <summary><c>[0-9][0-9][0-9]</c>.</summary>
    AsciiDigitTriples,

    /// <summary><c>[\p{P}\$\+&lt;=&gt;\^~\|]+</c>.</summary>
    PunctuationRuns,
}
