using CsCheck;
using CyLlm.Tokenizers;
using CyLlm.Tokenizers.Bpe;

namespace CyLlm.Tokenizers.Tests;

public class IncrementalDecoderTests
{
    // A byte-level vocabulary: every byte is its own token, so any UTF-8 string becomes one token per byte —
    // the hardest case for a streaming decoder.
    private static readonly ITokenizer Bytes = Tokenizer.Create(new TokenizerData
    {
        Kind = TokenizerKind.ByteLevelBpe,
        Tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).ToList(),
        Merges = [],
    });

    [Fact]
    public void Never_emits_part_of_a_character_and_loses_nothing()
    {
        Gen.OneOf<string>("a", "é", "日", "😀", "\u0301").Array[0, 30].Select(string.Concat).Sample(s =>
        {
            var dec = new IncrementalDecoder(Bytes);
            var pieces = System.Text.Encoding.UTF8.GetBytes(s).Select(b => dec.Push(b)).Append(dec.Flush()).ToList();
            return string.Concat(pieces) == s && pieces.All(p => !p.Contains('\uFFFD'));
        }, iter: 1000);
    }

    [Fact]
    public void Invalid_bytes_become_replacement_characters_only_when_they_cannot_complete()
    {
        var dec = new IncrementalDecoder(Bytes);
        Assert.Equal("", dec.Push(0xE6));      // lead byte of a 3-byte character: held
        Assert.Equal("", dec.Push(0x97));      // still incomplete
        Assert.Equal("\uFFFDa", dec.Push('a')); // cannot complete any more
        Assert.Equal("\uFFFD", dec.Push(0x80) + dec.Flush());
    }

    [Fact]
    public void Strips_the_leading_space_of_the_first_piece_only()
    {
        var dec = new IncrementalDecoder(Bytes, stripLeadingSpace: true);
        Assert.Equal("", dec.Push(' '));
        Assert.Equal(" ", dec.Push(' '));
    }
}
