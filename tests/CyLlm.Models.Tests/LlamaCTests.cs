using CyLlm.Models.LlamaC;
using CyLlm.Tensors;
using CyLlm.Tokenizers;
using static CyLlm.Models.Tests.LlamaCTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>llama2.c checkpoints (v0 legacy and v1) and tokenizer.bin: the real stories260K files, synthetic
/// checkpoints, and strict rejection of implausible headers and truncated or mismatched files.</summary>
public sealed class LlamaCTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-l2c-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void Stories260K_bin_matches_its_provenance()
    {
        using var m = ModelLoader.Load(TestPaths.Model("stories260K.bin"));
        var c = m.Config;
        Assert.Equal("llama2c", m.Format);
        Assert.Equal((64, 172, 5, 8, 4, 8, 512, 512, 8), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.VocabSize, c.ContextLength, c.RopeDimensions));
        Assert.Equal((1e-5f, 10000f, RopeLayout.Interleaved), (c.RmsNormEps, c.RopeTheta, c.RopeLayout));
        Assert.True(c.TiedEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal("stories260K", c.Name);
        Assert.Null(m.Tokenizer);
        Assert.Equal(1_056_540, m.FileBytes);
        Assert.Equal(2 + (5 * 9), m.Tensors.Count);
        Assert.Null(m.TryGet("output.weight"));
        Assert.All(m.Tensors.Values, t => Assert.Equal(GgmlType.F32, t.Type));
        Assert.Equal([64L, 512], m.Get("token_embd.weight").Shape);
        Assert.Equal([64L, 32], m.Get("blk.3.attn_v.weight").Shape);
        Assert.Equal([172L, 64], m.Get("blk.0.ffn_down.weight").Shape);
        Assert.Equal([64L], m.Get("blk.0.attn_norm.weight").Shape);
        Assert.Equal(0, m.Metadata["llama2c.version"]);
        Assert.Equal(true, m.Metadata["llama2c.shared_classifier"]);
        Assert.Equal(512, m.Metadata["llama2c.seq_len"]);

        // Views, not copies: the layer-stacked arrays are consecutive slices of the map.
        var q0 = m.Get("blk.0.attn_q.weight");
        var q1 = m.Get("blk.1.attn_q.weight");
        Assert.Equal(q0.Data + (nint)q0.ByteLength, q1.Data);
        Assert.Equal(m.Get("token_embd.weight").Data + (nint)(64 * 512 * 4), m.Get("blk.0.attn_norm.weight").Data);
    }

    [Fact]
    public void Tok512_is_normalised_to_the_gguf_vocabulary()
    {
        var t = ModelLoader.LoadTokenizer(TestPaths.Model("tok512.bin"));
        Assert.Equal(TokenizerKind.SentencePiece, t.Kind);
        Assert.Equal(512, t.Tokens.Count);
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], t.Tokens.Take(4));
        Assert.Equal([2, 3, 3, 6], t.TokenTypes!.Take(4));
        Assert.Equal("<0xFF>", t.Tokens[258]);
        Assert.Equal(6, t.TokenTypes![258]);
        Assert.Equal("\u2581t", t.Tokens[259]);
        Assert.Equal("\u2581Once", t.Tokens[403]);
        Assert.Equal(".", t.Tokens[426]);
        Assert.Equal(1, t.TokenTypes[403]);
        Assert.Equal(-144f, t.Scores![403]);
        Assert.Equal(0f, t.Scores[3]);
        Assert.Equal((1, 2, 0, -1), (t.BosId, t.EosId, t.UnkId, t.PadId));
        Assert.True(t.AddBos);
        Assert.True(t.AddSpacePrefix);
        Assert.DoesNotContain(t.Tokens, p => p.Contains(' ', StringComparison.Ordinal));
    }

    [Fact]
    public void A_model_with_its_tokenizer_takes_it()
    {
        using var m = ModelLoader.Load(TestPaths.Model("stories260K.bin"), TestPaths.Model("tok512.bin"));
        Assert.Equal(512, m.Tokenizer!.Tokens.Count);
    }

    [Fact]
    public unsafe void Version1_holds_the_same_weights_as_legacy()
    {
        foreach (bool shared in new[] { true, false })
        {
            using var v0 = ModelLoader.Load(Write(Legacy(Tiny, shared), $"v0-{shared}.bin"));
            using var v1 = ModelLoader.Load(Write(Version1(Tiny, shared), $"v1-{shared}.bin"));
            Assert.Equal(1, v1.Metadata["llama2c.version"]);
            Assert.Equal(shared, v0.Config.TiedEmbeddings);
            Assert.Equal(shared, v1.Config.TiedEmbeddings);
            Assert.Equal(v0.Config with { Name = null }, v1.Config with { Name = null });
            Assert.Equal(v0.Tensors.Keys.Order(), v1.Tensors.Keys.Order());
            Assert.Equal(shared ? 2 + (2 * 9) : 3 + (2 * 9), v1.Tensors.Count);
            foreach (var t0 in v0.Tensors.Values)
            {
                var t1 = v1.Get(t0.Name);
                Assert.Equal(t0.Shape, t1.Shape);
                Assert.True(new ReadOnlySpan<byte>((void*)t0.Data, (int)t0.ByteLength).SequenceEqual(new ReadOnlySpan<byte>((void*)t1.Data, (int)t1.ByteLength)), t0.Name);
            }
        }
    }

    [Fact]
    public void Version2_and_unknown_versions_are_refused_clearly()
    {
        var v2 = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(Version1(Tiny, version: 2), "v2.bin")).Dispose());
        Assert.Contains("version-2 checkpoints (int8 group-quantized) are not supported", v2.Message);
        var v7 = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(Version1(Tiny, version: 7), "v7.bin")).Dispose());
        Assert.Contains("unknown llama2.c checkpoint version 7", v7.Message);
        var flag = Version1(Tiny);
        flag[36] = 9;
        Assert.Contains("shared-classifier flag 9", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(flag, "f.bin")).Dispose()).Message);
    }

    public static TheoryData<int[]> BadHeaders() => new()
    {
        new[] { 64, 172, 5, 8, 4, 512, 0 },         // seq_len 0
        new[] { 64, -5, 5, 8, 4, 512, 512 },        // negative hidden
        new[] { 0, 172, 5, 8, 4, 512, 512 },        // zero dim
        new[] { 64, 172, 5, 8, 3, 512, 512 },       // heads not a multiple of kv heads
        new[] { 65, 172, 5, 8, 4, 512, 512 },       // dim not a multiple of heads
        new[] { 64, 172, 5, 64, 64, 512, 512 },     // odd head dim 1
        new[] { int.MaxValue, 172, 5, 8, 4, 512, 512 },
        new[] { 64, int.MaxValue, 5, 8, 4, 512, 512 },
        new[] { 64, 172, 1_000_000, 8, 4, 512, 512 },
        new[] { 64, 172, 5, 8, 4, int.MinValue, 512 },
        new[] { 64, 172, 5, 8, 4, 512, int.MaxValue },
        new[] { 64, 172, 5, 8, 4, 0, 512 },         // vocab 0
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Implausible_headers_are_rejected(int[] header)
    {
        var bytes = header.SelectMany(BitConverter.GetBytes).Concat(new byte[4096]).ToArray();
        var e = Record.Exception(() => ModelLoader.Load(Write(bytes, "x.bin")).Dispose());
        Assert.True(e is ModelFormatException, $"{string.Join(",", header)}: {e?.GetType().Name}: {e?.Message}");
        // A plausible first field makes it a llama2.c header whose bad values are named; otherwise it is no model.
        Assert.Contains(header[0] is > 0 and <= 65536 ? "implausible llama2.c header" : "unrecognised model format", e!.Message);
    }

    [Fact]
    public void The_file_size_must_match_the_header_exactly()
    {
        var bytes = File.ReadAllBytes(TestPaths.Model("stories260K.bin"));
        var truncated = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes[..(bytes.Length / 3)], "s.bin")).Dispose());
        Assert.Contains("truncated", truncated.Message);
        var longer = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write([.. bytes, 0, 0, 0, 0], "l.bin")).Dispose());
        Assert.Contains("is 1056540 bytes; the file has 1056544", longer.Message);

        // A negative vocabulary promises a classifier the file lacks.
        BitConverter.GetBytes(-512).CopyTo(bytes, 20);
        Assert.Contains("truncated: 'output.weight'", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes, "n.bin")).Dispose()).Message);
    }

    [Fact]
    public void Every_truncation_of_a_checkpoint_is_a_clear_format_error()
    {
        foreach (var bytes in new[] { Legacy(Tiny), Version1(Tiny, shared: false) })
        {
            Assert.Null(InMemory.LlamaCError(bytes, bytes.Length));
            for (int n = 0; n < bytes.Length; n++)
            {
                var e = InMemory.LlamaCError(bytes, n);
                Assert.True(e is ModelFormatException, $"prefix {n}: {e?.GetType().Name}: {e?.Message}");
            }
        }
    }

    [Fact]
    public void Random_headers_never_escape_as_another_exception_type()
    {
        var rng = new Random(7);
        var valid = Legacy(Tiny);
        for (int iter = 0; iter < 5000; iter++)
        {
            var bytes = (byte[])valid.Clone();
            for (int i = 0; i < 3; i++)
            {
                bytes[rng.Next(0, 28)] = (byte)rng.Next(256);
            }

            var e = InMemory.LlamaCError(bytes, bytes.Length);
            Assert.True(e is null or ModelFormatException, $"iteration {iter}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Tokenizer_truncations_fail_or_lose_tokens()
    {
        var bytes = File.ReadAllBytes(TestPaths.Model("tok512.bin"));
        for (int n = 0; n < bytes.Length; n++)
        {
            try
            {
                var t = LlamaCTokenizerLoader.Parse(bytes.AsSpan(0, n), "tok");
                Assert.True(t.Tokens.Count < 512, $"prefix {n}");
            }
            catch (ModelFormatException)
            {
                // A cut inside a token (or before the third): the expected failure.
            }
        }
    }

    [Fact]
    public void Hostile_tokenizers_are_rejected()
    {
        Assert.Contains("max token length -1", Assert.Throws<ModelFormatException>(() => LlamaCTokenizerLoader.Parse(BitConverter.GetBytes(-1), "t")).Message);
        var huge = new byte[16];
        BitConverter.GetBytes(7).CopyTo(huge, 0);
        BitConverter.GetBytes(1 << 30).CopyTo(huge, 8);
        Assert.Contains("has length 1073741824", Assert.Throws<ModelFormatException>(() => LlamaCTokenizerLoader.Parse(huge, "t")).Message);
        Assert.Contains("only 2 tokens", Assert.Throws<ModelFormatException>(() => LlamaCTokenizerLoader.Parse(Tokenizer("<unk>", "<s>"), "t")).Message);
        var nan = Tokenizer("<unk>", "<s>", "</s>");
        BitConverter.GetBytes(float.NaN).CopyTo(nan, 4);
        Assert.Contains("non-finite score", Assert.Throws<ModelFormatException>(() => LlamaCTokenizerLoader.Parse(nan, "t")).Message);
    }

    [Fact]
    public void Byte_pieces_need_two_hex_digits()
    {
        var t = LlamaCTokenizerLoader.Parse(Tokenizer("<unk>", "\n<s>\n", "\n</s>\n", "<0x0A>", "<0xZZ>", "a b"), "t");
        Assert.Equal([2, 3, 3, 6, 1, 1], t.TokenTypes!);
        Assert.Equal("a\u2581b", t.Tokens[5]);
    }

    [Fact]
    public void Mismatched_tokenizers_are_refused_for_every_format()
    {
        string small = Write(Tokenizer("<unk>", "<s>", "</s>", "a", "b"), "small.bin");
        var e1 = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestPaths.Model("stories260K.bin"), small).Dispose());
        Assert.Contains("has 5 tokens but the model's vocabulary has 512", e1.Message);
        var e2 = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestPaths.Model("stories260K.bin"), TestPaths.Model("llama-2-tiny-random.gguf")).Dispose());
        Assert.Contains("has 32000 tokens but the model's vocabulary has 512", e2.Message);
        var e3 = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(TestPaths.Model("llama-2-tiny-random.gguf"), TestPaths.Model("tok512.bin")).Dispose());
        Assert.Contains("has 512 tokens but the model's vocabulary has 32000", e3.Message);
    }
}
