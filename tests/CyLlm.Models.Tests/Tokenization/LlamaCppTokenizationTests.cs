using System.Text.Json;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Tests.Tokenization;

/// <summary>
/// Tokenization of the real vocabularies in ../shared/models (the 32,000-token Llama-2 vocabulary and
/// stories260K's 512) equals llama.cpp's (golden files by scripts/golden/tokenize.mjs): ASCII, accented, CJK,
/// emoji, astral letters, whitespace runs, code, digits and special-token text, with and without BOS and
/// special parsing; decoding and streaming give the text back.
/// </summary>
public class LlamaCppTokenizationTests
{
    private static readonly string[] Models = ["llama-2-tiny-random", "stories260K"];
    private static readonly Dictionary<string, ITokenizer> Tokenizers = new();
    private static readonly Dictionary<string, JsonElement> Goldens = new();

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var model in Models)
        {
            int n = Golden(model).GetProperty("cases").GetArrayLength();
            for (int i = 0; i < n; i++)
            {
                d.Add(model, i);
            }
        }

        return d;
    }

    private static JsonElement Golden(string model)
    {
        lock (Goldens)
        {
            if (!Goldens.TryGetValue(model, out var g))
            {
                g = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData($"tokenizer/{model}.json"))).RootElement;
                Goldens[model] = g;
            }

            return g;
        }
    }

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

    private static (string Text, int[] Ids, int[] NoBos, int[] Special) Case(string model, int index)
    {
        var c = Golden(model).GetProperty("cases")[index];
        int[] Ids(string name) => c.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (c.GetProperty("text").GetString()!, Ids("ids"), Ids("ids_no_bos"), Ids("ids_special"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_matches_llama_cpp(string model, int index)
    {
        var (text, ids, noBos, special) = Case(model, index);
        var tok = Get(model);
        Assert.Equal(noBos, tok.Encode(text, addBos: false, parseSpecial: false));
        Assert.Equal(ids, tok.Encode(text, addBos: tok.AddBosByDefault, parseSpecial: false));
        Assert.Equal(special, tok.Encode(text, addBos: false, parseSpecial: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_gives_the_text_back_with_the_space_prefix(string model, int index)
    {
        var (text, _, noBos, _) = Case(model, index);
        var tok = Get(model);
        // SentencePiece adds one leading space; U+2581 in the input comes back as a space, like any space.
        string expected = text.Length == 0 ? "" : " " + text.Replace('\u2581', ' ');
        Assert.Equal(expected, tok.Decode(noBos));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_after_bos_gives_the_text_without_the_space_prefix(string model, int index)
    {
        var (text, ids, _, _) = Case(model, index);
        var tok = Get(model);
        var dec = new IncrementalDecoder(tok, stripLeadingSpace: true);
        var deltas = ids.Select(dec.Push).ToList();
        deltas.Add(dec.Flush());
        Assert.Equal(text.Replace('\u2581', ' '), string.Concat(deltas));
        foreach (var d in deltas)
        {
            Assert.DoesNotContain('\uFFFD', d);
            Assert.False(d.Length > 0 && char.IsLowSurrogate(d[0]), "a delta starts inside a surrogate pair");
            Assert.False(d.Length > 0 && char.IsHighSurrogate(d[^1]), "a delta ends inside a surrogate pair");
        }
    }

    [Theory]
    [InlineData("llama-2-tiny-random", 32000)]
    [InlineData("stories260K", 512)]
    public void Vocabulary_facts_match_llama_cpp(string model, int vocab)
    {
        var tok = Get(model);
        var golden = Golden(model);
        Assert.Equal(TokenizerKind.SentencePiece, tok.Kind);
        Assert.Equal(vocab, tok.VocabSize);
        Assert.Equal(golden.GetProperty("bos").GetInt32(), tok.BosId);
        Assert.Equal(golden.GetProperty("eos").GetInt32(), tok.EosId);
        Assert.Equal(golden.GetProperty("add_bos").GetBoolean(), tok.AddBosByDefault);
        Assert.True(tok.AddsSpacePrefix);
        Assert.Equal([tok.EosId], tok.EndOfGenerationIds);
        Assert.Equal("", tok.DecodePiece(tok.BosId));
        Assert.Equal("</s>", tok.DecodePiece(tok.EosId, renderSpecial: true));
        Assert.Equal("\n", tok.DecodePiece(tok.FindToken("<0x0A>")));
    }
}
