using System.Text.Json;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Tests.Tokenization;

/// <summary>
/// Tokenization equals llama.cpp's (golden files by scripts/golden/tokenize.mjs) for the Llama-2 vocabulary
/// and stories260K on ASCII, accented, CJK and emoji text, and decoding gives the text back.
/// </summary>
public class LlamaCppTokenizationTests
{
    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var model in new[] { "llama-2-tiny-random", "stories260K" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData($"tokenizer/{model}.json")));
            int n = doc.RootElement.GetProperty("cases").GetArrayLength();
            for (int i = 0; i < n; i++)
            {
                d.Add(model, i);
            }
        }

        return d;
    }

    private static readonly Dictionary<string, ITokenizer> Tokenizers = new();

    private static ITokenizer Get(string model)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(model, out var t))
            {
                using var m = ModelLoader.Load(TestPaths.Model(model + ".gguf"));
                t = Tokenizer.Create(m.Tokenizer!);
                Tokenizers[model] = t;
            }

            return t;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_matches_llama_cpp(string model, int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData($"tokenizer/{model}.json")));
        var c = doc.RootElement.GetProperty("cases")[index];
        string text = c.GetProperty("text").GetString()!;
        int[] expected = c.GetProperty("ids_no_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var tok = Get(model);
        Assert.Equal(expected, tok.Encode(text, addBos: false, parseSpecial: false));
        int[] withBos = tok.Encode(text, addBos: true, parseSpecial: false);
        Assert.Equal(tok.BosId, withBos[0]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_round_trips_with_the_space_prefix_removed(string model, int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData($"tokenizer/{model}.json")));
        string text = doc.RootElement.GetProperty("cases")[index].GetProperty("text").GetString()!;
        var tok = Get(model);
        var ids = tok.Encode(text, addBos: false, parseSpecial: false);
        string decoded = tok.Decode(ids);
        // SentencePiece adds one leading space; everything else comes back byte for byte.
        Assert.Equal(text.Length == 0 ? "" : " " + text, decoded);
    }

    [Fact]
    public void Special_token_text_is_matched_whole_when_asked()
    {
        var tok = Get("llama-2-tiny-random");
        var ids = tok.Encode("<s>hi</s>", addBos: false, parseSpecial: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        var plain = tok.Encode("<s>hi</s>", addBos: false, parseSpecial: false);
        Assert.DoesNotContain(1, plain);
    }

    [Fact]
    public void Incremental_decoder_never_splits_a_character()
    {
        var tok = Get("llama-2-tiny-random");
        string text = "日本語 😀👍🏽 Ça va";
        var ids = tok.Encode(text, addBos: false, parseSpecial: false);
        var dec = new IncrementalDecoder(tok, stripLeadingSpace: true);
        var pieces = ids.Select(dec.Push).Append(dec.Flush()).ToList();
        Assert.Equal(text, string.Concat(pieces));
        foreach (var p in pieces)
        {
            Assert.DoesNotContain('\uFFFD', p);
            Assert.False(p.Length > 0 && char.IsLowSurrogate(p[0]), "a piece starts inside a surrogate pair");
            Assert.False(p.Length > 0 && char.IsHighSurrogate(p[^1]), "a piece ends inside a surrogate pair");
        }
    }
}
