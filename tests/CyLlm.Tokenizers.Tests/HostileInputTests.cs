using System.Diagnostics;
using System.Text;
using CyLlm.Tokenizers;

namespace CyLlm.Tokenizers.Tests;

/// <summary>Bad ids, bad vocabularies and huge inputs give clear exceptions or complete quickly.</summary>
public class HostileInputTests
{
    private static readonly ITokenizer Spm = Tokenizer.Create(TestVocab.SentencePiece([("\u2581the", -1), ("\u2581", -2), ("t", 0), ("h", 0), ("e", 0)]));
    private static readonly ITokenizer Bpe = Tokenizer.Create(TestVocab.ByteLevel(["t h", "th e", "Ġ the"], pre: "llama-bpe", extras: [("<|eot_id|>", 3)]));

    public static TheoryData<string> Kinds() => ["spm", "bpe"];

    private static ITokenizer Get(string kind) => kind == "spm" ? Spm : Bpe;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Out_of_range_ids_throw_argument_out_of_range_with_the_id_and_range(string kind)
    {
        var t = Get(kind);
        foreach (int id in new[] { -1, t.VocabSize, int.MaxValue, int.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.PieceBytes(id));
            Assert.Contains($"token id {id} is outside the vocabulary (0..{t.VocabSize - 1})", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => t.Decode([1, id]));
            Assert.Throws<ArgumentOutOfRangeException>(() => t.DecodePiece(id));
            Assert.Throws<ArgumentOutOfRangeException>(() => t.GetTokenText(id));
            Assert.Throws<ArgumentOutOfRangeException>(() => t.GetTokenType(id));
            Assert.False(t.IsControl(id));
            Assert.False(t.IsEndOfGeneration(id));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Null_arguments_throw_argument_null(string kind)
    {
        var t = Get(kind);
        Assert.Throws<ArgumentNullException>(() => t.Encode(null!, false, false));
        Assert.Throws<ArgumentNullException>(() => t.Encode("x".AsSpan(), null!, false, false));
        Assert.Throws<ArgumentNullException>(() => t.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => t.FindToken(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Create(null!));
    }

    [Fact]
    public void Inconsistent_vocabularies_are_refused_with_one_line_messages()
    {
        var good = TestVocab.SentencePiece([("a", 0)]);
        var cases = new (TokenizerData Data, string Message)[]
        {
            (new TokenizerData { Kind = TokenizerKind.SentencePiece, Tokens = [] }, "empty"),
            (new TokenizerData { Kind = TokenizerKind.SentencePiece, Tokens = good.Tokens, TokenTypes = [1, 2] }, "token types"),
            (new TokenizerData { Kind = TokenizerKind.SentencePiece, Tokens = good.Tokens, Scores = [0f] }, "scores"),
            (new TokenizerData { Kind = TokenizerKind.SentencePiece, Tokens = good.Tokens, BosId = good.Tokens.Count }, "BOS token id"),
            (new TokenizerData { Kind = TokenizerKind.SentencePiece, Tokens = good.Tokens, EosId = -7 }, "EOS token id"),
        };
        foreach (var (data, message) in cases)
        {
            var e = Assert.Throws<ArgumentException>(() => Tokenizer.Create(data));
            Assert.Contains(message, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }

        Assert.Throws<NotSupportedException>(() => Tokenizer.Create(new TokenizerData { Kind = (TokenizerKind)42, Tokens = ["a"] }));
        var pre = Assert.Throws<NotSupportedException>(() => Tokenizer.Create(new TokenizerData { Kind = TokenizerKind.ByteLevelBpe, Tokens = ["a"], PreTokenizer = "klingon" }));
        Assert.Contains("klingon", pre.Message);
    }

    [Fact]
    public void Odd_token_data_still_loads_as_llama_cpp_reads_it()
    {
        // Empty and null texts become "[EMPTY_i]" (llama.cpp), unknown type numbers print nothing.
        var t = Tokenizer.Create(new TokenizerData
        {
            Kind = TokenizerKind.SentencePiece,
            Tokens = ["<unk>", "", null!, "a", "b"],
            TokenTypes = [2, 1, 1, 99, 1],
            UnkId = 0,
            BosId = -1,
            EosId = -1,
        });
        Assert.Equal("[EMPTY_1]", t.GetTokenText(1));
        Assert.Equal("[EMPTY_2]", t.GetTokenText(2));
        Assert.Equal(TokenType.Undefined, t.GetTokenType(3));
        Assert.Equal("", t.DecodePiece(3, renderSpecial: true));
        Assert.Empty(t.Encode("", true, true)); // no BOS to add
        Assert.Equal([t.FindToken("b")], t.Encode("b", false, false).Where(id => id != 0));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_100_kb_text_tokenizes_well_under_a_second(string kind)
    {
        var t = Get(kind);
        var rng = new Random(7);
        string[] words = ["the", "quick", "brown", "fox", "日本語", "😀", "12345", "naïve", "\n", "code();", "<|eot_id|>", "<s>", "  "];
        var sb = new StringBuilder();
        while (sb.Length < 100_000)
        {
            sb.Append(words[rng.Next(words.Length)]).Append(' ');
        }

        string text = sb.ToString();
        t.Encode(text[..1000], true, true); // JIT
        var sw = Stopwatch.StartNew();
        int[] withSpecial = t.Encode(text, false, true);
        int[] plain = t.Encode(text, false, false);
        sw.Stop();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"2 x 100 KB took {sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(kind == "spm" ? " " + text : text, t.Decode(plain));
        Assert.True(withSpecial.Length < plain.Length, "special-token text became single tokens");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Megabyte_inputs_without_any_structure_complete(string kind)
    {
        var t = Get(kind);
        foreach (string text in new[] { new string('a', 1 << 20), new string(' ', 1 << 20), string.Concat(Enumerable.Repeat("<|", 1 << 19)), new string('\n', 1 << 20) })
        {
            int[] ids = t.Encode(text, true, true);
            Assert.True(ids.Length > 0);
            string decoded = t.Decode(ids);
            Assert.Equal(kind == "spm" ? " " + text : text, decoded);
        }
    }
}
