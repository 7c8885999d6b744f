using System.Text.Json;
using CyLlm.Tokenizers;

namespace CyLlm.Tokenizers.Tests;

/// <summary>
/// Byte-level BPE equals llama.cpp on a 2,271-token vocabulary cut from Qwen2's (TestData/bpe, made by
/// scripts/golden/tokenize_bpe.mjs) under every supported pre-tokenizer, with and without special parsing.
/// </summary>
public class ByteLevelGoldenTests
{
    private static readonly JsonElement Vocab = JsonDocument.Parse(File.ReadAllText(TestVocab.TestData("bpe/vocab.json"))).RootElement;
    private static readonly JsonElement[] Golden = JsonDocument.Parse(File.ReadAllText(TestVocab.TestData("bpe/golden.json"))).RootElement.GetProperty("cases").EnumerateArray().ToArray();
    private static readonly Dictionary<string, ITokenizer> Tokenizers = new();

    private static ITokenizer For(string? pre)
    {
        lock (Tokenizers)
        {
            string key = pre ?? "(none)";
            if (!Tokenizers.TryGetValue(key, out var t))
            {
                t = Tokenizer.Create(new TokenizerData
                {
                    Kind = TokenizerKind.ByteLevelBpe,
                    Tokens = Vocab.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                    TokenTypes = Vocab.GetProperty("token_types").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    Merges = Vocab.GetProperty("merges").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                    PreTokenizer = pre,
                    BosId = Vocab.GetProperty("bos").GetInt32(),
                    EosId = Vocab.GetProperty("eos").GetInt32(),
                    AddBos = false,
                });
                Tokenizers[key] = t;
            }

            return t;
        }
    }

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        for (int i = 0; i < Golden.Length; i++)
        {
            var pre = Golden[i].GetProperty("pre");
            d.Add(pre.ValueKind == JsonValueKind.Null ? "(none)" : pre.GetString()!, i);
        }

        return d;
    }

    private static int[] Ids(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_matches_llama_cpp(string pre, int index)
    {
        var c = Golden[index];
        var t = For(pre == "(none)" ? null : pre);
        string text = c.GetProperty("text").GetString()!;
        Assert.Equal(Ids(c, "ids"), t.Encode(text, addBos: false, parseSpecial: false));
        Assert.Equal(Ids(c, "ids_special"), t.Encode(text, addBos: false, parseSpecial: true));
    }

    [Fact]
    public void The_golden_set_covers_every_pre_tokenizer_and_the_pre_tokenizers_differ()
    {
        var byPre = Golden.GroupBy(c => c.GetProperty("pre").ToString()).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(9, byPre.Count);
        // Digit grouping tells them apart: llama-bpe 1-3 digits, qwen2/smollm single digits, gpt-2 runs.
        int[] Numbers(string pre) => Ids(byPre[pre].First(c => c.GetProperty("text").GetString()!.StartsWith("numbers", StringComparison.Ordinal)), "ids");
        Assert.NotEqual(Numbers("llama-bpe"), Numbers("qwen2"));
        Assert.NotEqual(Numbers("gpt-2"), Numbers("qwen2"));
        Assert.NotEqual(Numbers("gpt-2"), Numbers("llama-bpe"));
        // GPT-4o splits " className" into " class" and "Name", which Llama 3 keeps whole (and the vocabulary's
        // merge "Ġclass Name" then joins).
        int[] Camel(string pre) => Ids(byPre[pre].First(c => c.GetProperty("text").GetString()!.StartsWith("var className", StringComparison.Ordinal)), "ids");
        Assert.NotEqual(Camel("gpt-4o"), Camel("llama-bpe"));
    }

    [Fact]
    public void The_merge_whose_token_was_dropped_is_exercised()
    {
        // The vocabulary lacks "ice" but keeps its merge: llama.cpp then emits "i", "c", "e".
        var t = For("llama-bpe");
        Assert.Equal(-1, t.FindToken("ice"));
        var c = Golden.First(c => c.GetProperty("pre").ToString() == "llama-bpe" && c.GetProperty("text").GetString()!.StartsWith("ice;", StringComparison.Ordinal));
        Assert.Equal([t.FindToken("i"), t.FindToken("c"), t.FindToken("e")], Ids(c, "ids")[..3]);
    }

    [Fact]
    public void Decoding_gives_the_text_back()
    {
        var t = For("llama-bpe");
        foreach (var c in Golden.Where(c => c.GetProperty("pre").ToString() == "llama-bpe"))
        {
            string text = c.GetProperty("text").GetString()!;
            Assert.Equal(text, t.Decode(Ids(c, "ids")));
            Assert.Equal(text, t.Decode(Ids(c, "ids_special"), skipSpecial: false));
        }
    }
}
