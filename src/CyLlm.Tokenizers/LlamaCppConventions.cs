namespace CyLlm.Tokenizers;

/// <summary>
/// Rules llama.cpp (llama-vocab.cpp, load) applies to every vocabulary on top of its metadata, kept here so
/// that generation stops and special-token matching agree with llama.cpp on the same model file.
/// </summary>
internal static class LlamaCppConventions
{
    /// <summary>Token texts llama.cpp treats as end of generation (and forces to control type) wherever they
    /// occur in a vocabulary, plus the FIM pad/repo/file-separator tokens it also adds to the EOG set.</summary>
    public static readonly HashSet<string> EndOfGenerationTexts = new(StringComparer.Ordinal)
    {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "[e~[",
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
        "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
        "<|file_sep|>",
    };

    /// <summary>gpt-oss (harmony) markers llama.cpp turns into user-defined tokens so that they print.</summary>
    public static readonly HashSet<string> ForcedUserDefinedTexts = new(StringComparer.Ordinal)
    {
        "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>",
    };
}
