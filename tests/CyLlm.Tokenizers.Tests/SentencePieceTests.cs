using System.Text;
using CsCheck;
using CyLlm.Tokenizers;
using CyLlm.Tokenizers.SentencePiece;

namespace CyLlm.Tokenizers.Tests;

/// <summary>SentencePiece BPE on hand-made vocabularies: merge order, byte fallback, space prefix, specials.</summary>
public class SentencePieceTests
{
    private static readonly (string, float)[] Letters = [("a", 0), ("b", 0), ("c", 0), ("d", 0), ("\u2581", 0)];

    private static ITokenizer Make(params (string Piece, float Score)[] pieces) =>
        Tokenizer.Create(TestVocab.SentencePiece([.. Letters, .. pieces], addSpacePrefix: false));

    private static string[] Pieces(ITokenizer t, int[] ids) => ids.Select(t.GetTokenText).ToArray();

    [Fact]
    public void Factory_builds_the_sentencepiece_tokenizer()
    {
        var t = Make();
        Assert.IsType<SentencePieceTokenizer>(t);
        Assert.Equal(TokenizerKind.SentencePiece, t.Kind);
        Assert.Equal(3 + 256 + Letters.Length, t.VocabSize);
        Assert.True(t.AddBosByDefault);
    }

    [Fact]
    public void The_pair_with_the_highest_score_is_joined_first()
    {
        Assert.Equal(["ab", "c"], Pieces(Make(("ab", -1), ("bc", -2)), Make(("ab", -1), ("bc", -2)).Encode("abc", false, false)));
        var t = Make(("ab", -2), ("bc", -1));
        Assert.Equal(["a", "bc"], Pieces(t, t.Encode("abc", false, false)));
    }

    [Fact]
    public void Equal_scores_join_the_leftmost_pair()
    {
        var t = Make(("aa", -1));
        Assert.Equal(["aa", "a"], Pieces(t, t.Encode("aaa", false, false)));
        Assert.Equal(["aa", "aa"], Pieces(t, t.Encode("aaaa", false, false)));
    }

    [Fact]
    public void Joined_pieces_keep_joining_with_their_new_neighbours()
    {
        var t = Make(("ab", -1), ("cd", -2), ("abcd", -3));
        Assert.Equal(["abcd"], Pieces(t, t.Encode("abcd", false, false)));
        // A better pair in the middle blocks the outer joins.
        var u = Make(("ab", -1), ("cd", -2), ("abcd", -3), ("bc", -0.5f));
        Assert.Equal(["a", "bc", "d"], Pieces(u, u.Encode("abcd", false, false)));
    }

    [Fact]
    public void Characters_outside_the_vocabulary_fall_back_to_utf8_bytes()
    {
        var t = Make();
        int[] ids = t.Encode("a€\n", false, false);
        Assert.Equal([t.FindToken("a"), TestVocab.ByteId(0xE2), TestVocab.ByteId(0x82), TestVocab.ByteId(0xAC), TestVocab.ByteId(0x0A)], ids);
        Assert.Equal("a€\n", t.Decode(ids));
    }

    [Fact]
    public void Without_byte_tokens_unknown_characters_become_unk()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("a", 0)], byteFallback: false, addSpacePrefix: false));
        Assert.Equal([3, 0, 3], t.Encode("a€a", false, false));
        Assert.Equal("aa", t.Decode(t.Encode("a€a", false, false)));
    }

    [Fact]
    public void The_space_prefix_is_added_and_spaces_become_u2581()
    {
        var pieces = new (string, float)[] { ("\u2581a", -1), ("\u2581b", -1), ("a", 0), ("b", 0), ("\u2581", 0) };
        var withPrefix = Tokenizer.Create(TestVocab.SentencePiece(pieces));
        Assert.Equal(["\u2581a", "\u2581b"], Pieces(withPrefix, withPrefix.Encode("a b", false, false)));
        Assert.Equal(" a b", withPrefix.Decode(withPrefix.Encode("a b", false, false)));
        Assert.True(withPrefix.AddsSpacePrefix);

        var without = Tokenizer.Create(TestVocab.SentencePiece(pieces, addSpacePrefix: false));
        Assert.Equal(["a", "\u2581b"], Pieces(without, without.Encode("a b", false, false)));
        Assert.False(without.AddsSpacePrefix);
    }

    [Fact]
    public void Whitespace_runs_and_newlines_are_kept()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581a", -1), ("\u2581\u2581", -2), ("a", 0), ("\u2581", 0)]));
        // "  a \n" → "▁▁▁a▁\n": ▁▁ joins first (leftmost), then ▁a.
        int[] ids = t.Encode("  a \n", false, false);
        Assert.Equal(["\u2581\u2581", "\u2581a", "\u2581", "<0x0A>"], Pieces(t, ids));
        Assert.Equal("   a \n", t.Decode(ids));
    }

    [Fact]
    public void The_list_variant_appends_the_same_ids()
    {
        var t = Make(("ab", -1));
        var output = new List<int> { 42 };
        t.Encode("xabab".AsSpan(1), output, addBos: true, parseSpecial: true);
        Assert.Equal([42, .. t.Encode("abab", true, true)], output);
    }

    [Fact]
    public void Empty_text_gives_nothing_or_bos()
    {
        var t = Make();
        Assert.Empty(t.Encode("", false, false));
        Assert.Equal([1], t.Encode("", true, false));
        Assert.Equal([1], t.Encode("", true, true));
    }

    [Fact]
    public void Bos_and_eos_follow_the_model()
    {
        var data = TestVocab.SentencePiece(Letters);
        var withEos = Tokenizer.Create(new TokenizerData
        {
            Kind = data.Kind,
            Tokens = data.Tokens,
            Scores = data.Scores,
            TokenTypes = data.TokenTypes,
            BosId = 1,
            EosId = 2,
            UnkId = 0,
            AddEos = true,
            AddBos = false,
        });
        Assert.False(withEos.AddBosByDefault);
        int[] ids = withEos.Encode("a", true, false);
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.DoesNotContain(2, withEos.Encode("a", false, false));
    }

    [Fact]
    public void Special_text_is_matched_whole_only_when_asked_and_the_next_run_gets_a_space_prefix()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581a", -1), ("\u2581b", -1), ("a", 0), ("b", 0), ("\u2581", 0), ("<", 0), (">", 0), ("/", 0), ("s", 0)]));
        Assert.Equal([1, t.FindToken("\u2581a"), 2, t.FindToken("\u2581b")], t.Encode("<s>a</s>b", false, true));
        Assert.Equal([t.FindToken("\u2581a"), 2, t.FindToken("\u2581b")], t.Encode("a</s>b", false, true));
        int[] plain = t.Encode("<s>a</s>b", false, false);
        Assert.DoesNotContain(1, plain);
        Assert.DoesNotContain(2, plain);
        Assert.Equal(" <s>a</s>b", t.Decode(plain));
        Assert.Equal([1, 1], t.Encode("<s><s>", false, true));
    }

    [Fact]
    public void User_defined_tokens_are_matched_even_without_special_parsing()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581a", -1), ("\u2581b", -1), ("a", 0), ("b", 0)], extras: [("<tool>", 4), ("<ctl>", 3)]));
        int tool = t.FindToken("<tool>"), ctl = t.FindToken("<ctl>");
        Assert.Equal([t.FindToken("\u2581a"), tool, t.FindToken("\u2581b")], t.Encode("a<tool>b", false, false));
        Assert.DoesNotContain(ctl, t.Encode("a<ctl>b", false, false));
        Assert.Contains(ctl, t.Encode("a<ctl>b", false, true));
        // User-defined text prints even when special tokens are skipped; control text does not.
        Assert.Equal("<tool>", t.DecodePiece(tool));
        Assert.Equal("", t.DecodePiece(ctl));
        Assert.Equal("<ctl>", t.DecodePiece(ctl, renderSpecial: true));
    }

    [Fact]
    public void Longer_special_tokens_claim_their_text_first_as_in_llama_cpp()
    {
        // llama.cpp tries special tokens longest first over the whole text, not leftmost first.
        var t = Tokenizer.Create(TestVocab.SentencePiece(Letters, addSpacePrefix: false, extras: [("ab", 3), ("bcd", 3), ("<x>", 3), ("<x>y", 3)]));
        Assert.Equal([t.FindToken("a"), t.FindToken("bcd")], t.Encode("abcd", false, true));
        Assert.Equal([t.FindToken("<x>y"), t.FindToken("<x>")], t.Encode("<x>y<x>", false, true));
    }

    [Fact]
    public void Decoding_maps_u2581_to_space_and_byte_tokens_to_bytes_and_hides_control_tokens()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581hi", -1)]));
        int hi = t.FindToken("\u2581hi");
        Assert.Equal(" hi", t.DecodePiece(hi));
        Assert.Equal([0xC3], t.PieceBytes(TestVocab.ByteId(0xC3)).ToArray());
        Assert.Equal("", t.DecodePiece(1));
        Assert.Equal("<s>", t.DecodePiece(1, renderSpecial: true));
        Assert.Equal("", t.DecodePiece(0)); // <unk> is hidden like control tokens
        Assert.Equal(" hié", t.Decode([1, hi, TestVocab.ByteId(0xC3), TestVocab.ByteId(0xA9), 2]));
        Assert.Equal("<s> hié</s>", t.Decode([1, hi, TestVocab.ByteId(0xC3), TestVocab.ByteId(0xA9), 2], skipSpecial: false));
        Assert.True(t.IsControl(1));
        Assert.False(t.IsControl(hi));
        Assert.Equal(TokenType.Byte, t.GetTokenType(TestVocab.ByteId(0)));
    }

    [Fact]
    public void Duplicate_texts_resolve_to_the_last_id_as_in_llama_cpp()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581x", -1), ("\u2581x", -1)]));
        int last = t.VocabSize - 1;
        Assert.Equal(last, t.FindToken("\u2581x"));
        Assert.Equal([last], t.Encode("x", false, false));
    }

    [Fact]
    public void A_lone_surrogate_is_encoded_as_u_fffd()
    {
        var t = Make();
        int[] ids = t.Encode("a\uD800b", false, false);
        Assert.Equal("a\uFFFDb", t.Decode(ids));
    }

    [Fact]
    public void End_of_generation_ids_include_eos_eot_and_llama_cpp_eog_texts()
    {
        var data = TestVocab.SentencePiece(Letters, extras: [("<|im_end|>", 1), ("<|eot_id|>", 3)]);
        int imEnd = data.Tokens.Count - 2, eot = data.Tokens.Count - 1;
        var t = Tokenizer.Create(new TokenizerData
        {
            Kind = data.Kind,
            Tokens = data.Tokens,
            Scores = data.Scores,
            TokenTypes = data.TokenTypes,
            BosId = 1,
            EosId = 2,
            UnkId = 0,
            EotIds = [eot, 99999],
        });
        Assert.Equal([2, imEnd, eot], t.EndOfGenerationIds);
        Assert.True(t.IsEndOfGeneration(imEnd));
        Assert.False(t.IsEndOfGeneration(1));
        // llama.cpp forces EOG-looking tokens to control type, so they print nothing and parse as special.
        Assert.True(t.IsControl(imEnd));
        Assert.Equal([imEnd], t.Encode("<|im_end|>", false, true));
    }

    [Fact]
    public void Long_runs_merge_in_linear_ish_time()
    {
        var t = Make(("aa", -1), ("aaaa", -2), ("ab", -0.5f));
        string text = string.Concat(Enumerable.Repeat("aaaab", 40_000));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int[] ids = t.Encode(text, false, false);
        sw.Stop();
        Assert.Equal(text, t.Decode(ids));
        Assert.Equal(3 * 40_000, ids.Length); // "aaaab" → aa, a, ab
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"200 KB took {sw.Elapsed}");
    }

    [Fact]
    public void Every_text_round_trips_through_a_byte_fallback_vocabulary()
    {
        var t = Tokenizer.Create(TestVocab.SentencePiece([("\u2581a", -1), ("ab", -2), ("\u2581\u2581", -3), ("é", -4), ("日本", -5), ("日", 0), ("本", 0), ("a", 0), ("b", 0), ("\u2581", 0)]));
        // Whole characters (a surrogate pair is one choice): lone surrogates are not text.
        Gen.OneOf<string>("a", "b", " ", "é", "日", "本", "\n", "\t", "€", "😀").Array[0, 40].Select(string.Concat).Sample(text =>
        {
            string expected = text.Length == 0 ? "" : " " + text; // the space prefix comes back
            Assert.Equal(expected, t.Decode(t.Encode(text, false, false)));
            Assert.Equal(Encoding.UTF8.GetBytes(expected), t.Encode(text, false, false).SelectMany(id => t.PieceBytes(id).ToArray()).ToArray());
        });
    }
}
