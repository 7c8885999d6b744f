using System.Text.Json.Nodes;
using CyLlm.Models.Safetensors;
using CyLlm.Tokenizers;

namespace CyLlm.Models.Tests;

/// <summary>tokenizer.json (+ tokenizer_config.json, chat_template.jinja, config.json) → TokenizerData, for
/// byte-level BPE and SentencePiece-style BPE, and the errors for tokenizers CyLlm cannot reproduce.</summary>
public sealed class HfTokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-hftok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(JsonNode tokenizer, JsonObject? config = null, string sub = "t")
    {
        string folder = Path.Combine(_dir, sub);
        Directory.CreateDirectory(folder);
        HfTestFolder.WriteJson(Path.Combine(folder, "tokenizer.json"), tokenizer);
        if (config is not null)
        {
            HfTestFolder.WriteJson(Path.Combine(folder, "tokenizer_config.json"), config);
        }

        return Path.Combine(folder, "tokenizer.json");
    }

    private static ModelFormatException Fails(string path)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.LoadTokenizer(path));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Byte_level_vocab_merges_and_added_tokens()
    {
        var t = ModelLoader.LoadTokenizer(Write(HfTestFolder.ByteLevelTokenizer()));
        Assert.Equal(TokenizerKind.ByteLevelBpe, t.Kind);
        Assert.Equal(HfTestFolder.Vocab, t.Tokens);
        Assert.Equal([1, 1, 1, 1, 1, 1, 3, 3, 3, 1], t.TokenTypes!);
        Assert.Equal(["a b", "Ġ a", "Ġa b"], t.Merges!);
        Assert.Null(t.Scores);
        Assert.Equal("llama-bpe", t.PreTokenizer);
        Assert.Equal(6, t.BosId); // from the TemplateProcessing post-processor
        Assert.True(t.AddBos);
        Assert.False(t.AddEos);
        Assert.False(t.AddSpacePrefix);
        Assert.Equal(-1, t.EosId); // nothing names it without tokenizer_config.json or config.json
        Assert.Equal([8, 7], t.EotIds);
        Assert.Null(t.ChatTemplate);

        var arrays = ModelLoader.LoadTokenizer(Write(HfTestFolder.ByteLevelTokenizer(arrayMerges: true), sub: "arrays"));
        Assert.Equal(t.Merges, arrays.Merges);
    }

    [Fact]
    public void Added_tokens_marked_rstrip_swallow_the_whitespace_after_them()
    {
        var tok = HfTestFolder.ByteLevelTokenizer();
        var added = tok["added_tokens"]!.AsArray();
        int id = (int)added[0]!["id"]!;
        added[0]!["rstrip"] = true;   // Phi-3 marks <|user|>, <|end|>, <|assistant|> … this way
        var t = ModelLoader.LoadTokenizer(Write(tok, sub: "rstrip"));
        Assert.Equal([id], t.RStripIds);
        Assert.Empty(ModelLoader.LoadTokenizer(Write(HfTestFolder.ByteLevelTokenizer(), sub: "plain")).RStripIds);
    }

    [Fact]
    public void Array_merges_with_spaces_use_the_byte_level_space()
    {
        var tok = HfTestFolder.ByteLevelTokenizer();
        tok["model"]!["merges"] = new JsonArray(new JsonArray("a b", "c"), new JsonArray(" ", "x"));
        var t = ModelLoader.LoadTokenizer(Write(tok));
        Assert.Equal(["a\u0120b c", "\u0120 x"], t.Merges!);
    }

    [Theory]
    [InlineData(HfPreTokenizer.Llama3Regex, "llama-bpe")]
    [InlineData(HfPreTokenizer.Qwen2Regex, "qwen2")]
    [InlineData(HfPreTokenizer.Gpt2Regex, "gpt2")]
    [InlineData(HfPreTokenizer.Gpt4oRegex, "gpt-4o")]
    public void Split_regexes_name_the_pre_tokenizer(string regex, string expected) =>
        Assert.Equal(expected, ModelLoader.LoadTokenizer(Write(HfTestFolder.ByteLevelTokenizer(regex))).PreTokenizer);

    [Fact]
    public void Byte_level_pipelines_without_a_split_are_gpt2_or_smollm()
    {
        var gpt2 = HfTestFolder.ByteLevelTokenizer();
        gpt2["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true };
        gpt2.Remove("post_processor");
        var t = ModelLoader.LoadTokenizer(Write(gpt2, sub: "gpt2"));
        Assert.Equal("gpt2", t.PreTokenizer);
        Assert.False(t.AddBos); // llama.cpp's default for gpt2

        var smollm = HfTestFolder.ByteLevelTokenizer();
        smollm["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true }),
        };
        Assert.Equal("smollm", ModelLoader.LoadTokenizer(Write(smollm, sub: "smollm")).PreTokenizer);

        var unknown = HfTestFolder.ByteLevelTokenizer(@"\p{L}+|\s+");
        Assert.Contains("pre-tokenizer is not one CyLlm recognises", Fails(Write(unknown, sub: "unknown")).Message);
    }

    [Fact]
    public void Tokenizer_config_sets_specials_flags_and_the_chat_template()
    {
        var config = new JsonObject
        {
            ["bos_token"] = new JsonObject { ["content"] = "<|begin_of_text|>" },
            ["eos_token"] = "<|end_of_text|>",
            ["pad_token"] = "<|eot_id|>",
            ["add_bos_token"] = false,
            ["add_eos_token"] = true,
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool_use", ["template"] = "TOOLS" },
                new JsonObject { ["name"] = "default", ["template"] = "DEFAULT" }),
        };
        var t = ModelLoader.LoadTokenizer(Write(HfTestFolder.ByteLevelTokenizer(), config));
        Assert.Equal((6, 7, 8), (t.BosId, t.EosId, t.PadId));
        Assert.False(t.AddBos);
        Assert.True(t.AddEos);
        Assert.Equal("DEFAULT", t.ChatTemplate);
        Assert.Equal([8], t.EotIds);
    }

    [Fact]
    public void Chat_template_files_are_read_when_the_config_has_none()
    {
        string path = Write(HfTestFolder.ByteLevelTokenizer(), new JsonObject { ["eos_token"] = "<|eot_id|>" }, "jinja");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "chat_template.json"), "{\"chat_template\": \"FROM JSON\"}");
        Assert.Equal("FROM JSON", ModelLoader.LoadTokenizer(path).ChatTemplate);
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "chat_template.jinja"), "FROM JINJA");
        Assert.Equal("FROM JINJA", ModelLoader.LoadTokenizer(path).ChatTemplate);
    }

    [Fact]
    public void Added_tokens_that_look_special_are_control_and_others_user_defined()
    {
        var tok = HfTestFolder.ByteLevelTokenizer();
        var added = tok["added_tokens"]!.AsArray();
        added.Add(new JsonObject { ["id"] = 10, ["content"] = "<|im_start|>", ["special"] = false });
        added.Add(new JsonObject { ["id"] = 11, ["content"] = "my\u2581word", ["special"] = false });
        added.Add(new JsonObject { ["id"] = 13, ["content"] = "<tool>", ["special"] = true });
        var t = ModelLoader.LoadTokenizer(Write(tok));
        Assert.Equal(14, t.Tokens.Count);
        Assert.Equal(("<|im_start|>", 3), (t.Tokens[10], t.TokenTypes![10]));
        Assert.Equal(("my word", 4), (t.Tokens[11], t.TokenTypes[11]));
        Assert.Equal(("[PAD12]", 5), (t.Tokens[12], t.TokenTypes[12]));
        Assert.Equal(("<tool>", 3), (t.Tokens[13], t.TokenTypes[13]));
    }

    [Fact]
    public void A_model_vocabulary_larger_than_the_tokenizer_is_padded_like_llama_cpp()
    {
        var f = new HfTestFolder(Path.Combine(_dir, "padded")) { VocabRows = 12 }.Write();
        using var m = ModelLoader.Load(f.Folder);
        Assert.Equal(12, m.Tokenizer!.Tokens.Count);
        Assert.Equal(("[PAD10]", 5), (m.Tokenizer.Tokens[10], m.Tokenizer.TokenTypes![10]));

        // The same through an explicit tokenizer path.
        using var m2 = ModelLoader.Load(f.Folder, Path.Combine(f.Folder, "tokenizer.json"));
        Assert.Equal("[PAD11]", m2.Tokenizer!.Tokens[11]);

        // A tokenizer larger than the model's vocabulary does not belong to it.
        var small = new HfTestFolder(Path.Combine(_dir, "small")) { VocabRows = 10 }.Write();
        var tok = HfTestFolder.ByteLevelTokenizer();
        tok["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 10, ["content"] = "<|x|>", ["special"] = true });
        string bigger = Write(tok, sub: "bigger");
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(small.Folder, bigger).Dispose());
        Assert.Contains("has 11 tokens but the model's vocabulary has 10", e.Message);
        Assert.Contains("has 512 tokens", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(small.Folder, TestPaths.Model("tok512.bin")).Dispose()).Message);
    }

    /// <summary>A Llama-2-style tokenizer.json: BPE with byte fallback, ▁ by normalizer, specials as added tokens.</summary>
    private static JsonObject SentencePieceStyle(bool metaspace = false)
    {
        string[] vocab = ["<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "\u2581", "a", "b", "\u2581a", "ab", "\u2581ab", "\u2581\u2581"];
        var v = new JsonObject();
        for (int i = 0; i < vocab.Length; i++)
        {
            v[vocab[i]] = i;
        }

        var added = new JsonArray();
        for (int i = 0; i < 3; i++)
        {
            added.Add(new JsonObject { ["id"] = i, ["content"] = vocab[i], ["special"] = true });
        }

        var tok = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = metaspace ? null : new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = metaspace ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "never", ["split"] = false } : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = new JsonArray(new JsonObject { ["type"] = "ByteFallback" }) },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["unk_token"] = "<unk>",
                ["byte_fallback"] = true,
                ["fuse_unk"] = true,
                ["vocab"] = v,
                ["merges"] = new JsonArray("\u2581 a", "a b", "\u2581a b", "\u2581 ab"),
            },
        };
        return tok;
    }

    [Fact]
    public void Sentencepiece_style_tokenizers_get_scores_from_merge_ranks()
    {
        var t = ModelLoader.LoadTokenizer(Write(SentencePieceStyle(), new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = "</s>" }));
        Assert.Equal(TokenizerKind.SentencePiece, t.Kind);
        Assert.Equal(12, t.Tokens.Count);
        Assert.Equal([2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 1], t.TokenTypes!);
        // ▁a is merge 0, ab merge 1, ▁ab merge 2 (its second merge, rank 3, is ignored); the single characters and
        // ▁▁ (no merge forms it) can never win over a merge.
        Assert.Equal([0f, 0f, 0f, 0f, 0f, -1e9f, -1e9f, -1e9f, 0f, -1f, -2f, -1e9f], t.Scores!);
        Assert.Equal((1, 2, 0, -1), (t.BosId, t.EosId, t.UnkId, t.PadId));
        Assert.True(t.AddBos);
        Assert.True(t.AddSpacePrefix);
        Assert.Null(t.Merges);
        Assert.Null(t.PreTokenizer);

        var never = ModelLoader.LoadTokenizer(Write(SentencePieceStyle(metaspace: true), sub: "never"));
        Assert.Equal(TokenizerKind.SentencePiece, never.Kind);
        Assert.False(never.AddSpacePrefix);
        var config = ModelLoader.LoadTokenizer(Write(SentencePieceStyle(), new JsonObject { ["add_prefix_space"] = false }, "cfg"));
        Assert.False(config.AddSpacePrefix);
    }

    [Fact]
    public void Hostile_or_unsupported_tokenizers_are_named()
    {
        var unigram = HfTestFolder.ByteLevelTokenizer();
        unigram["model"]!["type"] = "Unigram";
        Assert.Contains("tokenizer model type 'Unigram' is not supported", Fails(Write(unigram, sub: "u")).Message);

        var negative = HfTestFolder.ByteLevelTokenizer();
        negative["model"]!["vocab"]!["zz"] = -4;
        Assert.Contains("token 'zz' has an invalid id -4", Fails(Write(negative, sub: "n")).Message);

        var huge = HfTestFolder.ByteLevelTokenizer();
        huge["model"]!["vocab"]!["zz"] = 1L << 40;
        Assert.Contains("invalid id 1099511627776", Fails(Write(huge, sub: "h")).Message);
        huge["model"]!["vocab"]!["zz"] = 4_000_000;
        Assert.Contains("id 4000000 is far beyond the 11 tokens", Fails(Write(huge, sub: "h2")).Message);

        var twice = HfTestFolder.ByteLevelTokenizer();
        twice["model"]!["vocab"]!["zz"] = 1;
        Assert.Contains("id 1 is given to both 'b' and 'zz'", Fails(Write(twice, sub: "d")).Message);

        var merge = HfTestFolder.ByteLevelTokenizer();
        merge["model"]!["merges"] = new JsonArray("ab");
        Assert.Contains("merge 'ab' is not two tokens", Fails(Write(merge, sub: "m")).Message);
        merge["model"]!["merges"] = new JsonArray("");
        Assert.Contains("merge '' is not two tokens", Fails(Write(merge, sub: "m1")).Message);
        merge["model"]!["merges"] = new JsonArray(new JsonArray("a"));
        Assert.Contains("is neither \"a b\" nor", Fails(Write(merge, sub: "m2")).Message);

        var added = HfTestFolder.ByteLevelTokenizer();
        added["added_tokens"]!.AsArray().Add(new JsonObject { ["content"] = "<x>" });
        Assert.Contains("lacks its id or content", Fails(Write(added, sub: "a")).Message);

        var neither = HfTestFolder.ByteLevelTokenizer();
        neither["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" };
        neither["decoder"] = null;
        Assert.Contains("neither a byte-level BPE nor a SentencePiece-style BPE", Fails(Write(neither, sub: "w")).Message);

        var noModel = new JsonObject { ["version"] = "1.0" };
        Assert.Contains("no \"model\" object", Fails(Write(noModel, sub: "nm")).Message);

        string broken = Write(new JsonObject(), sub: "b");
        File.WriteAllText(broken, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, ");
        Assert.Contains("tokenizer.json is not valid JSON", Fails(broken).Message);

        string model = Path.Combine(_dir, "tokenizer.model");
        File.WriteAllBytes(model, [10, 3, 60, 117, 62]);
        Assert.Contains("SentencePiece .model files are not supported", Fails(model).Message);
    }

    [Fact]
    public void An_explicit_tokenizer_replaces_an_unreadable_folder_tokenizer()
    {
        var f = new HfTestFolder(Path.Combine(_dir, "unreadable")).Write();
        HfTestFolder.WriteJson(Path.Combine(f.Folder, "tokenizer.json"), HfTestFolder.ByteLevelTokenizer(@"\p{L}+"));
        Assert.Contains("pre-tokenizer is not one CyLlm recognises", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(f.Folder).Dispose()).Message);
        string other = Write(HfTestFolder.ByteLevelTokenizer(), sub: "other");
        using var m = ModelLoader.Load(f.Folder, other);
        Assert.Equal("llama-bpe", m.Tokenizer!.PreTokenizer);
    }

    [Fact]
    public void Random_corruption_of_tokenizer_json_never_escapes_as_another_exception_type()
    {
        // Seeded: the same corruptions every run, aimed at JSON structure characters and numbers.
        byte[] valid = System.Text.Encoding.UTF8.GetBytes(SentencePieceStyle().ToJsonString());
        string path = Write(new JsonObject(), sub: "fuzz");
        var rng = new Random(4242);
        const string alphabet = "0123456789[]{},:\"-.eE tBP\\u\u00ff";
        for (int iter = 0; iter < 600; iter++)
        {
            var bytes = (byte[])valid.Clone();
            for (int i = rng.Next(1, 4); i > 0; i--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)alphabet[rng.Next(alphabet.Length)];
            }

            File.WriteAllBytes(path, bytes);
            var e = Record.Exception(() => ModelLoader.LoadTokenizer(path));
            Assert.True(e is null or ModelFormatException, $"iteration {iter}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Load_tokenizer_accepts_a_folder()
    {
        string path = Write(HfTestFolder.ByteLevelTokenizer(), sub: "folder");
        Assert.Equal(10, ModelLoader.LoadTokenizer(Path.GetDirectoryName(path)!).Tokens.Count);
    }
}
