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

    private static string[] Pieces(ITokenizer t, int[] ids) => ids.Select(t.GetTokenText).ToArray();

    [Fact]
    public void Lower_ranks_join_first_wherever_they_are()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["b c", "a b"]));
        Assert.Equal(["a", "bc"], Pieces(t, t.Encode("abc", false, false)));
        var u = Tokenizer.Create(TestVocab.ByteLevel(["a b", "b c"]));
        Assert.Equal(["ab", "c"], Pieces(u, u.Encode("abc", false, false)));
    }

    [Fact]
    public void Equal_pairs_join_leftmost_first()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["a a"]));
        Assert.Equal(["aa", "a"], Pieces(t, t.Encode("aaa", false, false)));
        var u = Tokenizer.Create(TestVocab.ByteLevel(["a a", "aa aa"]));
        Assert.Equal(["aaaa", "aa", "a"], Pieces(u, u.Encode("aaaaaaa", false, false)));
    }

    [Fact]
    public void Merges_never_cross_pre_tokenizer_words()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["o Ġ", "g o"]));
        Assert.Equal(["go", "Ġ", "go"], Pieces(t, t.Encode("go go", false, false)));
    }

    [Fact]
    public void Bytes_are_spelled_in_the_gpt2_alphabet()
    {
        for (int b = 0; b < 256; b++)
        {
            Assert.True(ByteLevelAlphabet.TryToByte(ByteLevelAlphabet.ToChar((byte)b), out byte back));
            Assert.Equal((byte)b, back);
        }

        Assert.Equal('Ġ', ByteLevelAlphabet.ToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.ToChar((byte)'\n'));
        Assert.Equal('a', ByteLevelAlphabet.ToChar((byte)'a'));
        Assert.False(ByteLevelAlphabet.TryToByte('\u4E00', out _));
        var t = Tokenizer.Create(TestVocab.ByteLevel(["Ġ a"]));
        Assert.Equal(" a", t.DecodePiece(t.FindToken("Ġa")));
        Assert.Equal([0xE6, 0x97, 0xA5], t.Encode("日", false, false)); // id = byte value in this vocabulary
    }

    [Fact]
    public void A_merge_result_missing_from_the_vocabulary_falls_back_to_its_ascii_characters_as_llama_cpp()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["a b", "Ġ a"], omit: ["ab", "Ġa"]));
        Assert.Equal(["a", "b"], Pieces(t, t.Encode("ab", false, false)));
        // llama.cpp looks each UTF-8 byte of the piece up as a token: 'Ġ' is two bytes, neither a token.
        Assert.Equal(["x", "a"], Pieces(t, t.Encode("x a", false, false)));
    }

    [Fact]
    public void Llama3_takes_whole_words_that_are_tokens_before_merging()
    {
        (string, int)[] word = [("abc", 1)];
        var llama3 = Tokenizer.Create(TestVocab.ByteLevel(["a b"], pre: "llama-bpe", extras: word));
        Assert.Equal(["abc"], Pieces(llama3, llama3.Encode("abc", false, false)));
        var dbrx = Tokenizer.Create(TestVocab.ByteLevel(["a b"], pre: "dbrx", extras: word)); // same regex, no ignore_merges
        Assert.Equal(["ab", "c"], Pieces(dbrx, dbrx.Encode("abc", false, false)));
    }

    [Fact]
    public void Without_token_types_angle_bar_tokens_are_control_tokens()
    {
        var data = TestVocab.ByteLevel(["h i"], extras: [("<|im_end|>", 1), ("<|x|>", 1)]);
        var t = Tokenizer.Create(new TokenizerData { Kind = data.Kind, Tokens = data.Tokens, Merges = data.Merges, PreTokenizer = "qwen2" });
        int imEnd = t.FindToken("<|im_end|>"), x = t.FindToken("<|x|>");
        Assert.True(t.IsControl(x));
        Assert.Equal([t.FindToken("hi"), x, imEnd], t.Encode("hi<|x|><|im_end|>", false, true));
        Assert.DoesNotContain(x, t.Encode("hi<|x|>", false, false));
        Assert.Equal([imEnd], t.EndOfGenerationIds);
        Assert.Equal("hi", t.Decode(t.Encode("hi<|x|>", false, true)));
        Assert.Equal("hi<|x|>", t.Decode(t.Encode("hi<|x|>", false, true), skipSpecial: false));
    }

    [Fact]
    public void Malformed_merge_lines_are_ignored()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["", "a", "a ", " a", "a b c", "a b"]));
        Assert.Equal(["ab"], Pieces(t, t.Encode("ab", false, false)));
    }

    [Fact]
    public void Words_are_cached_without_changing_results_across_threads()
    {
        var t = Tokenizer.Create(TestVocab.ByteLevel(["t h", "th e", "Ġ th", "Ġth e", "Ġ c", "Ġc at"], pre: "llama-bpe"));
        string text = string.Concat(Enumerable.Repeat("the cat sat on the mat, the end. ", 200));
        int[] expected = t.Encode(text, false, false);
        Parallel.For(0, 8, _ => Assert.Equal(expected, t.Encode(text, false, false)));
        Assert.Equal(text, t.Decode(expected));
    }
}
