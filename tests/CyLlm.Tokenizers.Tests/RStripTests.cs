namespace CyLlm.Tokenizers.Tests;

/// <summary>
/// Special tokens that swallow the whitespace after them (TokenizerData.RStripIds: llama.cpp's RSTRIP attribute, which
/// it gives Phi-3's control tokens; HF added tokens with "rstrip"): the run after such a token loses its leading
/// whitespace when the token is matched, the run before it keeps its trailing whitespace, and other tokens are unchanged.
/// </summary>
public sealed class RStripTests
{
    private static readonly (string, float)[] Pieces = [("\u2581Hi", -1), ("Hi", -2), ("\u2581", -3), ("H", -4), ("i", -5)];

    private static ITokenizer Make(bool rstrip)
    {
        var data = TestVocab.SentencePiece(Pieces, extras: [("<|user|>", 3), ("<|end|>", 3), ("<|x|>", 4)]);
        int user = data.Tokens.Count - 3, end = data.Tokens.Count - 2;
        return Tokenizer.Create(rstrip ? WithRStrip(data, user, end) : data);
    }

    private static TokenizerData WithRStrip(TokenizerData d, params int[] ids) => new()
    {
        Kind = d.Kind,
        Tokens = d.Tokens,
        Scores = d.Scores,
        TokenTypes = d.TokenTypes,
        BosId = d.BosId,
        EosId = d.EosId,
        UnkId = d.UnkId,
        AddSpacePrefix = d.AddSpacePrefix,
        RStripIds = ids,
    };

    [Fact]
    public void Whitespace_after_an_rstrip_token_is_not_encoded()
    {
        var strip = Make(rstrip: true);
        var plain = Make(rstrip: false);
        Assert.Equal(plain.Encode("<|user|>Hi<|end|>", false, true), strip.Encode("<|user|>\n \tHi<|end|>\n", false, true));
        // Only whitespace after the token goes: a trailing space before <|end|> stays, and <|x|> (not rstrip) keeps its "\n".
        Assert.Equal(plain.Encode("<|user|>Hi <|end|>", false, true), strip.Encode("<|user|>\nHi <|end|>", false, true));
        Assert.Equal(plain.Encode("<|x|>\nHi", false, true), strip.Encode("<|x|>\nHi", false, true));
        Assert.NotEqual(plain.Encode("<|user|>\nHi", false, true), strip.Encode("<|user|>\nHi", false, true));
    }

    [Fact]
    public void Without_parse_special_the_token_text_is_plain_text_and_nothing_is_stripped()
    {
        var strip = Make(rstrip: true);
        var plain = Make(rstrip: false);
        Assert.Equal(plain.Encode("<|user|>\nHi", false, false), strip.Encode("<|user|>\nHi", false, false));
    }
}
