using System.Text;
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

    // SentencePiece with byte fallback and multi-byte pieces, plus control tokens (BOS 1, EOS 2).
    private static readonly ITokenizer Spm = Tokenizer.Create(TestVocab.SentencePiece(
        [("\u2581Hello", -1), ("\u2581", -2), ("é", -3), ("日本", -4), ("日", 0), ("本", 0), ("H", 0), ("e", 0), ("l", 0), ("o", 0)]));

    private static bool WellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Never_emits_part_of_a_character_and_loses_nothing()
    {
        Gen.OneOf<string>("a", "é", "日", "😀", "\u0301").Array[0, 30].Select(string.Concat).Sample(s =>
        {
            var dec = new IncrementalDecoder(Bytes);
            var pieces = Encoding.UTF8.GetBytes(s).Select(b => dec.Push(b)).ToList(); // pushes first, then flush
            pieces.Add(dec.Flush());
            return string.Concat(pieces) == s && pieces.All(p => !p.Contains('\uFFFD'));
        }, iter: 1000);
    }

    [Fact]
    public void Pushes_and_flush_concatenate_to_the_full_decode_for_any_token_sequence()
    {
        // Arbitrary ids, so invalid UTF-8 (stray continuation bytes, truncated characters) is included.
        var tokenizers = new[] { Bytes, Spm };
        Gen.Select(Gen.Int[0, 1], Gen.Int[0, 1 << 20].Array[0, 40]).Sample((which, raw) =>
        {
            var t = tokenizers[which];
            int[] ids = raw.Select(r => r % t.VocabSize).ToArray();
            var dec = new IncrementalDecoder(t);
            var deltas = ids.Select(dec.Push).ToList();
            deltas.Add(dec.Flush());
            Assert.Equal(t.Decode(ids), string.Concat(deltas));
            Assert.All(deltas, d => Assert.True(WellFormed(d), "a delta splits a surrogate pair"));
        }, iter: 2000);
    }

    [Fact]
    public void Valid_text_split_at_random_byte_boundaries_never_shows_replacement_characters()
    {
        var text40 = Gen.OneOf<string>("a", "é", "日", "😀", "\u0301", " ", "\n").Array[0, 40].Select(string.Concat);
        Gen.Select(text40, Gen.Int[1, 4]).Sample((text, step) =>
        {
            // Byte-fallback tokens for every byte: pieces end anywhere inside characters.
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            var dec = new IncrementalDecoder(Spm);
            var sb = new StringBuilder();
            for (int i = 0; i < utf8.Length; i += step)
            {
                for (int k = i; k < Math.Min(utf8.Length, i + step); k++)
                {
                    string d = dec.Push(TestVocab.ByteId(utf8[k]));
                    Assert.DoesNotContain('\uFFFD', d);
                    Assert.True(WellFormed(d));
                    sb.Append(d);
                }
            }

            sb.Append(dec.Flush());
            Assert.Equal(text, sb.ToString());
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
        var truncated = new IncrementalDecoder(Bytes);
        Assert.Equal("", truncated.Push(0xF0));
        Assert.Equal("", truncated.Push(0x9F));
        Assert.Equal("\uFFFD", truncated.Flush()); // the stream ended inside a character
    }

    [Fact]
    public void Strips_the_sentencepiece_space_prefix_of_the_first_piece_only()
    {
        int hello = Spm.FindToken("\u2581Hello");
        var dec = new IncrementalDecoder(Spm, stripLeadingSpace: true);
        Assert.Equal("", dec.Push(1));          // BOS prints nothing and does not use up the strip
        Assert.Equal("Hello", dec.Push(hello));
        Assert.Equal(" Hello", dec.Push(hello));
        var keep = new IncrementalDecoder(Spm);
        Assert.Equal(" Hello", keep.Push(hello));
    }

    [Fact]
    public void Byte_level_spaces_are_text_and_are_never_stripped()
    {
        // llama.cpp strips only the space a SentencePiece tokenizer added itself.
        var dec = new IncrementalDecoder(Bytes, stripLeadingSpace: true);
        Assert.Equal(" ", dec.Push(' '));
        Assert.Equal(" ", dec.Push(' '));
    }

    [Fact]
    public void Control_tokens_print_only_when_rendering_special_text()
    {
        Assert.Equal("", new IncrementalDecoder(Spm).Push(2));
        Assert.Equal("</s>", new IncrementalDecoder(Spm, renderSpecial: true).Push(2));
    }

    [Fact]
    public void Out_of_range_ids_throw_a_clear_exception()
    {
        var dec = new IncrementalDecoder(Spm);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => dec.Push(Spm.VocabSize));
        Assert.Contains("outside the vocabulary", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => dec.Push(-1));
        Assert.Throws<ArgumentNullException>(() => new IncrementalDecoder(null!));
    }
}
