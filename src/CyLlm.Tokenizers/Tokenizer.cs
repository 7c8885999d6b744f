using CyLlm.Tokenizers.Bpe;
using CyLlm.Tokenizers.SentencePiece;

namespace CyLlm.Tokenizers;

/// <summary>Builds the tokenizer a <see cref="TokenizerData"/> describes.</summary>
public static class Tokenizer
{
    public static ITokenizer Create(TokenizerData data) => data.Kind switch
    {
        TokenizerKind.SentencePiece => new SentencePieceTokenizer(data),
        TokenizerKind.ByteLevelBpe => new ByteLevelBpeTokenizer(data),
        _ => throw new NotSupportedException($"tokenizer kind {data.Kind} is not supported"),
    };
}
