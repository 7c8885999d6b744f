using CyLlm.Tokenizers.Bpe;
using CyLlm.Tokenizers.SentencePiece;

namespace CyLlm.Tokenizers;

/// <summary>Builds the tokenizer a <see cref="TokenizerData"/> describes.</summary>
public static class Tokenizer
{
    /// <exception cref="ArgumentException">The data is inconsistent (empty vocabulary, array lengths differ, ids out of range).</exception>
    /// <exception cref="NotSupportedException">The kind or the byte-level pre-tokenizer name is not supported.</exception>
    public static ITokenizer Create(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Kind switch
        {
            TokenizerKind.SentencePiece => new SentencePieceTokenizer(data),
            TokenizerKind.ByteLevelBpe => new ByteLevelBpeTokenizer(data),
            _ => throw new NotSupportedException($"tokenizer kind {data.Kind} is not supported"),
        };
    }
}
