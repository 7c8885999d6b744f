using CsCheck;
using CyLlm.Tokenizers;
using CyLlm.Tokenizers.Bpe;

namespace CyLlm.Tokenizers.Tests;

public class ByteLevelBpeTests
{
    /// <summary>All 256 byte symbols, a few merges, and two special tokens.</summary>
    private static TokenizerData Vocab(string pre)
    {
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(ByteLevelAlphabet.ToChar((byte)b).ToString());
        }

        string[] merges = ["Ġ t", "h e", "Ġt he", "l l", "ll o", "H e", "He llo"];
        foreach (var m in merges)
        {
            tokens.Add(m.Replace(" ", "", StringComparison.Ordinal));
        }

        tokens.Add("<|begin_of_text|>");
        tokens.Add("<|eot_id|>");
        var types = Enumerable.Repeat(1, tokens.Count).ToArray();
        types[^1] = 3;
        types[^2] = 3;
        return new TokenizerData
        {
            Kind = TokenizerKind.ByteLevelBpe,
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges,
            PreTokenizer = pre,
            BosId = tokens.Count - 2,
            EosId = tokens.Count - 1,
            AddBos = true,
            AddSpacePrefix = false,
        };
    }

    private static string Piece(ITokenizer t, int id) => System.Text.Encoding.UTF8.GetString(t.PieceBytes(id, renderSpecial: true));

    [Fact]
    public void Merges_apply_by_rank_within_words()
    {
        var t = Tokenizer.Create(Vocab("llama-bpe"));
        var ids = t.Encode("Hello the", addBos: false, parseSpecial: false);
        Assert.Equal(["Hello", " the"], ids.Select(i => Piece(t, i)));
    }

    [Fact]
    public void Special_tokens_and_bos()
    {
        var t = Tokenizer.Create(Vocab("llama-bpe"));
        var ids = t.Encode("the<|eot_id|>", addBos: true, parseSpecial: true);
        Assert.Equal(t.BosId, ids[0]);
        Assert.Equal(t.EosId, ids[^1]);
        Assert.Contains(t.EosId, t.EndOfGenerationIds);
        var plain = t.Encode("<|eot_id|>", addBos: false, parseSpecial: false);
        Assert.DoesNotContain(t.EosId, plain);
    }

    [Theory]
    [InlineData("gpt2", "Hello world's 123", new[] { "Hello", " world", "'s", " 123" })]
    [InlineData("llama-bpe", "Hello world's 12345", new[] { "Hello", " world", "'s", " ", "123", "45" })]
    [InlineData("llama-bpe", "a\n\nb  c", new[] { "a", "\n\n", "b", " ", " c" })]
    [InlineData("qwen2", "x 12345", new[] { "x", " ", "1", "2", "3", "4", "5" })]
    [InlineData("smollm", "Hi 42", new[] { "Hi", " ", "4", "2" })]
    public void Pre_tokenizers_split_as_llama_cpp(string pre, string text, string[] expected) =>
        Assert.Equal(expected, new PreTokenizer(pre).Split(text));

    [Fact]
    public void Any_text_round_trips()
    {
        var t = Tokenizer.Create(Vocab("llama-bpe"));
        // Whole characters (a surrogate pair is one choice): lone surrogates are not text.
        Gen.OneOf<string>("a", "é", " ", "日", "\n", "\t", "'", "1", "😀").Array[0, 50].Select(string.Concat).Sample(s =>
            t.Decode(t.Encode(s, addBos: false, parseSpecial: false)) == s, iter: 500);
    }

    [Fact]
    public void Out_of_range_ids_are_rejected()
    {
        var t = Tokenizer.Create(Vocab("gpt2"));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.PieceBytes(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.PieceBytes(t.VocabSize));
    }
}
