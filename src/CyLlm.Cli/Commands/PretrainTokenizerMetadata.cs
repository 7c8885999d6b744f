using CyLlm.Tokenizers;

namespace CyLlm.Cli.Commands;

/// <summary>The GGUF tokenizer.* keys of a vocabulary trained by <c>cyllm pretrain</c> (llama.cpp's "llama" SentencePiece layout).</summary>
internal static class PretrainTokenizerMetadata
{
    /// <summary>
    /// A plain-text chat layout for a model that never saw chat data: "System: …\n", "User: …\n", "Assistant: …\n" per
    /// message, then "Assistant:" as the generation prompt. BOS comes from the tokenizer (add_bos_token), not the template.
    /// </summary>
    public const string ChatTemplate =
        "{% for message in messages %}"
        + "{% if message['role'] == 'system' %}System: {{ message['content'] }}\n"
        + "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
        + "{% else %}Assistant: {{ message['content'] }}\n{% endif %}"
        + "{% endfor %}"
        + "{% if add_generation_prompt %}Assistant:{% endif %}";

    /// <summary>Metadata for <paramref name="data"/>: tokens, scores, types, special ids (uint32) and flags.</summary>
    public static Dictionary<string, object> From(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Kind != TokenizerKind.SentencePiece || data.Scores is null || data.TokenTypes is null)
        {
            throw new ArgumentException("only SentencePiece vocabularies with scores and token types can be exported");
        }

        var meta = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["tokenizer.ggml.model"] = "llama",
            ["tokenizer.ggml.pre"] = data.PreTokenizer ?? "default",
            ["tokenizer.ggml.tokens"] = data.Tokens.ToArray(),
            ["tokenizer.ggml.scores"] = data.Scores.ToArray(),
            ["tokenizer.ggml.token_type"] = data.TokenTypes.ToArray(),
            ["tokenizer.ggml.bos_token_id"] = (uint)data.BosId,
            ["tokenizer.ggml.eos_token_id"] = (uint)data.EosId,
            ["tokenizer.ggml.unknown_token_id"] = (uint)data.UnkId,
            ["tokenizer.ggml.add_bos_token"] = data.AddBos,
            ["tokenizer.ggml.add_eos_token"] = data.AddEos,
            ["tokenizer.ggml.add_space_prefix"] = data.AddSpacePrefix,
        };
        if (data.ChatTemplate is { } t)
        {
            meta["tokenizer.chat_template"] = t;
        }

        return meta;
    }
}
