using CsCheck;
using CyLlm.Tokenizers;
using CyLlm.Training.Tokenization;

namespace CyLlm.Training.Tests.Tokenization;

public sealed class SentencePieceBpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "Once upon a time there was a little girl named Lily.",
        "She liked to play in the park with her little dog.",
        "One day the little dog saw a big red ball in the park.",
        "Lily and the dog played with the ball all day long.",
        "Once upon a time there was a boy who liked to play.",
    ];

    private static readonly TokenizerData Data = SentencePieceBpeTrainer.Train(Enumerable.Repeat(Corpus, 20).SelectMany(x => x), 400);

    [Fact]
    public void The_vocabulary_has_the_llama_layout_and_the_requested_size()
    {
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], Data.Tokens.Take(4));
        Assert.Equal("<0xFF>", Data.Tokens[258]);
        Assert.Equal(Data.Tokens.Count, Data.Tokens.Distinct().Count());
        Assert.True(Data.Tokens.Count <= 400);
        Assert.Contains("\u2581little", Data.Tokens);
        Assert.DoesNotContain(Data.Tokens.Skip(259), t => t.IndexOf('\u2581', 1) > 0);
    }

    [Fact]
    public void Learned_merges_compress_text_the_tokenizer_reads_them()
    {
        var tok = Tokenizer.Create(Data);
        string text = "Once upon a time the little dog liked to play in the park.";
        var ids = tok.Encode(text, addBos: false, parseSpecial: false);
        Assert.True(ids.Length < text.Length / 3, $"{ids.Length} tokens for {text.Length} chars");
        Assert.Equal(text, tok.Decode(ids).TrimStart(' '));
    }

    [Fact]
    public void Any_text_round_trips_including_unseen_characters_through_byte_fallback()
    {
        var tok = Tokenizer.Create(Data);
        Gen.String[Gen.Char[' ', '~'], 0, 40].Sample(s =>
        {
            var ids = tok.Encode(s + " é漢🙂", addBos: false, parseSpecial: false);
            string back = tok.Decode(ids);
            Assert.Equal((" " + s + " é漢🙂").TrimStart(' '), back.TrimStart(' '));
        }, iter: 200);
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var again = SentencePieceBpeTrainer.Train(Enumerable.Repeat(Corpus, 20).SelectMany(x => x), 400);
        Assert.Equal(Data.Tokens, again.Tokens);
        Assert.Equal(Data.Scores, again.Scores);
    }
}
