using CyLlm.Models.Gguf;
using CyLlm.Tensors;
using CyLlm.Tokenizers;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>GGUF conformance: the real test models against PROVENANCE.md, every metadata type, v2/v3,
/// alignments, every supported tensor type, architectures and the tokenizer metadata.</summary>
public sealed class GgufTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name = "m.gguf")
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void Stories260K_gguf_matches_its_provenance()
    {
        using var m = ModelLoader.Load(TestPaths.Model("stories260K.gguf"));
        var c = m.Config;
        Assert.Equal("gguf", m.Format);
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((64, 172, 5, 8, 4, 8, 512, 2048, 8), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.VocabSize, c.ContextLength, c.RopeDimensions));
        Assert.Equal(1e-5f, c.RmsNormEps);
        Assert.Equal(10000f, c.RopeTheta);
        Assert.Null(c.RopeScaling);
        Assert.False(c.AttentionBias);
        Assert.False(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.Interleaved, c.RopeLayout);
        Assert.Equal("llama", c.Name);
        Assert.Equal(1_185_376, m.FileBytes);
        Assert.Equal(48, m.Tensors.Count);
        Assert.All(m.Tensors.Values, t => Assert.Equal(GgmlType.F32, t.Type));
        Assert.Equal([64L, 512], m.Get("token_embd.weight").Shape);
        Assert.Equal([64L, 512], m.Get("output.weight").Shape);
        Assert.Equal([64L, 64], m.Get("blk.2.attn_q.weight").Shape);
        Assert.Equal([64L, 32], m.Get("blk.0.attn_k.weight").Shape);
        Assert.Equal([64L, 32], m.Get("blk.1.attn_v.weight").Shape);
        Assert.Equal([64L, 64], m.Get("blk.3.attn_output.weight").Shape);
        Assert.Equal([64L, 172], m.Get("blk.4.ffn_gate.weight").Shape);
        Assert.Equal([172L, 64], m.Get("blk.4.ffn_down.weight").Shape);
        Assert.Equal([64L], m.Get("blk.4.ffn_norm.weight").Shape);
        Assert.Equal(64 * 512 * 4, m.Get("token_embd.weight").ByteLength);

        var tok = m.Tokenizer!;
        Assert.Equal(TokenizerKind.SentencePiece, tok.Kind);
        Assert.Equal(512, tok.Tokens.Count);
        Assert.Equal((1, 2, 0, -1), (tok.BosId, tok.EosId, tok.UnkId, tok.PadId)); // padding id is 0xFFFFFFFF: none
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], tok.Tokens.Take(4));
        Assert.Equal("\u2581t", tok.Tokens[259]);
        Assert.Equal("\u2581Once", tok.Tokens[403]);
        Assert.Equal(6, tok.TokenTypes![3]);
        Assert.Equal(-144f, tok.Scores![403]);
        Assert.True(tok.AddBos);
        Assert.True(tok.AddSpacePrefix);
        Assert.Null(tok.Merges);
        Assert.Null(tok.ChatTemplate);

        Assert.Equal("llama", m.Metadata["general.architecture"]);
        Assert.Equal(3u, m.Metadata["gguf.version"]);
        Assert.Equal(172u, m.Metadata["llama.feed_forward_length"]);
        Assert.Equal(512, Assert.IsType<string[]>(m.Metadata["tokenizer.ggml.tokens"]).Length);
        Assert.IsType<float[]>(m.Metadata["tokenizer.ggml.scores"]);
        Assert.IsType<int[]>(m.Metadata["tokenizer.ggml.token_type"]);
    }

    [Fact]
    public unsafe void Stories260K_weights_are_bit_identical_in_gguf_and_llama2c()
    {
        using var g = ModelLoader.Load(TestPaths.Model("stories260K.gguf"));
        using var b = ModelLoader.Load(TestPaths.Model("stories260K.bin"), TestPaths.Model("tok512.bin"));
        Assert.Equal("llama2c", b.Format);
        Assert.True(b.Config.TiedEmbeddings);
        Assert.Equal(g.Tensors.Count - 1, b.Tensors.Count); // the GGUF's output.weight is a copy of the embedding
        foreach (var tb in b.Tensors.Values)
        {
            var tg = g.Get(tb.Name);
            Assert.Equal(tg.Shape, tb.Shape);
            Assert.Equal(tg.ByteLength, tb.ByteLength);
            var fg = new ReadOnlySpan<float>((void*)tg.Data, (int)tg.ElementCount);
            var fb = new ReadOnlySpan<float>((void*)tb.Data, (int)tb.ElementCount);
            Assert.True(fg.SequenceEqual(fb), tb.Name);
        }

        var emb = b.Get("token_embd.weight");
        var output = g.Get("output.weight");
        Assert.True(new ReadOnlySpan<byte>((void*)emb.Data, (int)emb.ByteLength).SequenceEqual(new ReadOnlySpan<byte>((void*)output.Data, (int)output.ByteLength)));

        // A few values read as floats in place: the same numbers from both files, and not all zero.
        float* q = (float*)g.Get("blk.0.attn_q.weight").Data;
        float* qb = (float*)b.Get("blk.0.attn_q.weight").Data;
        Assert.Equal(BitConverter.SingleToInt32Bits(q[0]), BitConverter.SingleToInt32Bits(qb[0]));
        Assert.Equal(BitConverter.SingleToInt32Bits(q[64 * 64 - 1]), BitConverter.SingleToInt32Bits(qb[64 * 64 - 1]));
        Assert.NotEqual(0f, q[0]);

        // The tokenizers agree too, except the llama2.c spelling of BOS/EOS (normalised by the loader).
        Assert.Equal(g.Tokenizer!.Tokens, b.Tokenizer!.Tokens);
        Assert.Equal(g.Tokenizer.Scores, b.Tokenizer.Scores);
        Assert.Equal(g.Tokenizer.TokenTypes, b.Tokenizer.TokenTypes);
    }

    [Fact]
    public void Llama2_tiny_random_matches_its_provenance()
    {
        using var m = ModelLoader.Load(TestPaths.Model("llama-2-tiny-random.gguf"));
        var c = m.Config;
        Assert.Equal((8, 32, 1, 2, 2, 4, 32000, 4096, 4), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.VocabSize, c.ContextLength, c.RopeDimensions));
        Assert.Equal(12, m.Tensors.Count);
        Assert.False(c.TiedEmbeddings);
        Assert.Equal("LLaMA v2", c.Name);
        foreach (var n in new[] { "token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight" })
        {
            Assert.Equal(GgmlType.F16, m.Get(n).Type);
        }

        Assert.Equal(GgmlType.F32, m.Get("blk.0.attn_norm.weight").Type);
        Assert.Equal([8L, 32000], m.Get("token_embd.weight").Shape);
        Assert.Equal(8 * 32000 * 2, m.Get("token_embd.weight").ByteLength);
        var tok = m.Tokenizer!;
        Assert.Equal(32000, tok.Tokens.Count);
        Assert.Equal((1, 2, 0, -1), (tok.BosId, tok.EosId, tok.UnkId, tok.PadId));
        Assert.Equal("\u2581t", tok.Tokens[260]);
        Assert.Equal(-1e9f, tok.Scores![259]);
        Assert.Equal(1u, m.Metadata["general.file_type"]);
    }

    [Theory]
    [InlineData(2u, 32)]
    [InlineData(3u, 32)]
    [InlineData(3u, 64)]
    [InlineData(2u, 128)]
    public void Every_metadata_type_round_trips(uint version, int alignment)
    {
        var w = TinyLlama(version: version, alignment: alignment)
            .Meta("t.u8", GgufValueType.UInt8, (byte)200)
            .Meta("t.i8", GgufValueType.Int8, (sbyte)-100)
            .Meta("t.u16", GgufValueType.UInt16, (ushort)60000)
            .Meta("t.i16", GgufValueType.Int16, (short)-30000)
            .Meta("t.u32", GgufValueType.UInt32, 4_000_000_000u)
            .Meta("t.i32", GgufValueType.Int32, -2_000_000_000)
            .Meta("t.f32", GgufValueType.Float32, 1.5f)
            .Meta("t.bool", GgufValueType.Bool, true)
            .Meta("t.false", GgufValueType.Bool, false)
            .Meta("t.str", GgufValueType.String, "héllo ▁ 🦙")
            .Meta("t.empty", GgufValueType.String, "")
            .Meta("t.u64", GgufValueType.UInt64, ulong.MaxValue)
            .Meta("t.i64", GgufValueType.Int64, long.MinValue)
            .Meta("t.f64", GgufValueType.Float64, Math.PI)
            .Meta("a.u8", GgufValueType.Array, Arr(GgufValueType.UInt8, new byte[] { 1, 255 }))
            .Meta("a.i8", GgufValueType.Array, Arr(GgufValueType.Int8, new sbyte[] { -1, 127 }))
            .Meta("a.u16", GgufValueType.Array, Arr(GgufValueType.UInt16, new ushort[] { 1, 65535 }))
            .Meta("a.i16", GgufValueType.Array, Arr(GgufValueType.Int16, new short[] { -32768, 7 }))
            .Meta("a.u32", GgufValueType.Array, Arr(GgufValueType.UInt32, new uint[] { 0, uint.MaxValue }))
            .Meta("a.i32", GgufValueType.Array, Arr(GgufValueType.Int32, new[] { int.MinValue, 3 }))
            .Meta("a.f32", GgufValueType.Array, Arr(GgufValueType.Float32, new[] { -0.5f, float.MaxValue }))
            .Meta("a.bool", GgufValueType.Array, Arr(GgufValueType.Bool, new[] { true, false, true }))
            .Meta("a.str", GgufValueType.Array, Arr(GgufValueType.String, new[] { "x", "", "ü" }))
            .Meta("a.u64", GgufValueType.Array, Arr(GgufValueType.UInt64, new ulong[] { ulong.MaxValue }))
            .Meta("a.i64", GgufValueType.Array, Arr(GgufValueType.Int64, new[] { long.MinValue, 0L }))
            .Meta("a.f64", GgufValueType.Array, Arr(GgufValueType.Float64, new[] { Math.E }))
            .Meta("a.empty", GgufValueType.Array, Arr(GgufValueType.Int32, Array.Empty<int>()))
            .Meta("a.nested", GgufValueType.Array, Arr(GgufValueType.Array, new object[]
            {
                Arr(GgufValueType.UInt8, new byte[] { 1, 2 }),
                Arr(GgufValueType.String, new[] { "p", "q" }),
                Arr(GgufValueType.Array, new object[] { Arr(GgufValueType.Float64, new[] { 0.25 }) }),
            }));
        using var m = ModelLoader.Load(Write(w.Build()));
        var md = m.Metadata;
        Assert.Equal((byte)200, md["t.u8"]);
        Assert.Equal((sbyte)-100, md["t.i8"]);
        Assert.Equal((ushort)60000, md["t.u16"]);
        Assert.Equal((short)-30000, md["t.i16"]);
        Assert.Equal(4_000_000_000u, md["t.u32"]);
        Assert.Equal(-2_000_000_000, md["t.i32"]);
        Assert.Equal(1.5f, md["t.f32"]);
        Assert.Equal(true, md["t.bool"]);
        Assert.Equal(false, md["t.false"]);
        Assert.Equal("héllo ▁ 🦙", md["t.str"]);
        Assert.Equal("", md["t.empty"]);
        Assert.Equal(ulong.MaxValue, md["t.u64"]);
        Assert.Equal(long.MinValue, md["t.i64"]);
        Assert.Equal(Math.PI, md["t.f64"]);
        Assert.Equal(new byte[] { 1, 255 }, Assert.IsType<byte[]>(md["a.u8"]));
        Assert.Equal(new sbyte[] { -1, 127 }, Assert.IsType<sbyte[]>(md["a.i8"]));
        Assert.Equal(new ushort[] { 1, 65535 }, Assert.IsType<ushort[]>(md["a.u16"]));
        Assert.Equal(new short[] { -32768, 7 }, Assert.IsType<short[]>(md["a.i16"]));
        Assert.Equal(new uint[] { 0, uint.MaxValue }, Assert.IsType<uint[]>(md["a.u32"]));
        Assert.Equal(new[] { int.MinValue, 3 }, Assert.IsType<int[]>(md["a.i32"]));
        Assert.Equal(new[] { -0.5f, float.MaxValue }, Assert.IsType<float[]>(md["a.f32"]));
        Assert.Equal(new[] { true, false, true }, Assert.IsType<bool[]>(md["a.bool"]));
        Assert.Equal(new[] { "x", "", "ü" }, Assert.IsType<string[]>(md["a.str"]));
        Assert.Equal(new[] { ulong.MaxValue }, Assert.IsType<ulong[]>(md["a.u64"]));
        Assert.Equal(new[] { long.MinValue, 0L }, Assert.IsType<long[]>(md["a.i64"]));
        Assert.Equal(new[] { Math.E }, Assert.IsType<double[]>(md["a.f64"]));
        Assert.Empty(Assert.IsType<int[]>(md["a.empty"]));
        var nested = Assert.IsType<object[]>(md["a.nested"]);
        Assert.Equal(new byte[] { 1, 2 }, Assert.IsType<byte[]>(nested[0]));
        Assert.Equal(new[] { "p", "q" }, Assert.IsType<string[]>(nested[1]));
        Assert.Equal(new[] { 0.25 }, Assert.IsType<double[]>(Assert.IsType<object[]>(nested[2])[0]));
        Assert.Equal(version, md["gguf.version"]);
        if (alignment != 32)
        {
            Assert.Equal((uint)alignment, md["general.alignment"]);
        }

        Assert.Equal(32, m.Config.Dim);
        Assert.All(m.Tensors.Values, t => Assert.Equal(0, t.Data % alignment)); // the map starts page-aligned
    }

    public static TheoryData<GgmlType, int> TensorTypes() => new()
    {
        { GgmlType.F32, 32 }, { GgmlType.F16, 32 }, { GgmlType.BF16, 32 }, { GgmlType.Q8_0, 32 }, { GgmlType.Q4_0, 32 },
        { GgmlType.Q4_1, 32 }, { GgmlType.Q5_0, 32 }, { GgmlType.Q5_1, 32 }, { GgmlType.Q4_K, 256 }, { GgmlType.Q5_K, 256 },
        { GgmlType.Q6_K, 256 },
    };

    [Theory]
    [MemberData(nameof(TensorTypes))]
    public unsafe void Every_supported_tensor_type_round_trips_bytes_in_place(GgmlType type, int dim)
    {
        var w = TinyLlama(type, dim: dim, seed: (int)type);
        byte[] bytes = w.Build();
        using var m = ModelLoader.Load(Write(bytes, $"{type}.gguf"));
        var up = m.Get("blk.0.ffn_up.weight");
        Assert.Equal(type, up.Type);
        Assert.Equal([(long)dim, 2 * dim], up.Shape);
        Assert.Equal(GgmlTypeInfo.RowBytes(type, dim) * 2 * dim, up.ByteLength);

        // The view holds exactly the bytes written.
        var expected = w.TensorData("blk.0.ffn_up.weight");
        Assert.True(new ReadOnlySpan<byte>((void*)up.Data, (int)up.ByteLength).SequenceEqual(expected));
    }

    [Fact]
    public void Qwen2_is_half_split_with_biases_and_tied_embeddings()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "qwen2", tied: true).Build()));
        Assert.Equal(ModelArchitecture.Qwen2, m.Config.Architecture);
        Assert.Equal(RopeLayout.HalfSplit, m.Config.RopeLayout);
        Assert.True(m.Config.AttentionBias);
        Assert.True(m.Config.TiedEmbeddings);
        Assert.Null(m.TryGet("output.weight"));
        Assert.Equal([16L], m.Get("blk.0.attn_k.bias").Shape);
    }

    [Fact]
    public void Qwen3_is_half_split_with_per_head_qk_norms_and_no_biases()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "qwen3", tied: true).Build()));
        Assert.Equal(ModelArchitecture.Qwen3, m.Config.Architecture);
        Assert.Equal(RopeLayout.HalfSplit, m.Config.RopeLayout);
        Assert.True(m.Config.QkNorm);
        Assert.False(m.Config.AttentionBias);
        Assert.True(m.Config.TiedEmbeddings);
        Assert.Equal([8L], m.Get("blk.0.attn_q_norm.weight").Shape);
        Assert.Equal([8L], m.Get("blk.0.attn_k_norm.weight").Shape);
    }

    [Fact]
    public void A_qwen3_file_without_head_norms_names_the_missing_tensor()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(TinyLlama(arch: "qwen3", qkNorm: false).Build())).Dispose());
        Assert.Contains("tensor blk.0.attn_q_norm.weight is missing", e.Message);
    }

    [Fact]
    public void Head_norms_in_a_llama_file_are_refused_rather_than_ignored()
    {
        var w = TinyLlama().Tensor("blk.0.attn_q_norm.weight", GgmlType.F32, [8], new byte[32]);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build())).Dispose());
        Assert.Contains("blk.0.attn_q_norm.weight is not used by CyLlm's Llama forward pass", e.Message);
    }

    [Fact]
    public void Gemma2_takes_llama_cpp_defaults_for_soft_caps_window_and_query_scale()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "gemma2", tied: true).Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Gemma2, c.Architecture);
        Assert.True(c.Gemma);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((50f, 30f, 4096, 2), (c.AttentionSoftcap, c.FinalLogitSoftcap, c.SlidingWindow, c.SlidingWindowPattern));
        Assert.True(c.IsLocalLayer(0));
        Assert.False(c.IsLocalLayer(1));
        Assert.Equal(1f / MathF.Sqrt(8), c.AttentionScale);
        Assert.Equal(c.RopeTheta, c.LocalRopeTheta);
        Assert.Equal(0f, c.NormWeightOffset);
    }

    [Fact]
    public void Gemma2_refuses_an_output_head_it_would_ignore_and_needs_its_post_norms()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(TinyLlama(arch: "gemma2").Build())).Dispose());
        Assert.Contains("output.weight is not used by Gemma 2", e.Message);
        var w = TinyLlama(arch: "gemma2", tied: true).Without("blk.0.post_ffw_norm.weight");
        e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build())).Dispose());
        Assert.Contains("tensor blk.0.post_ffw_norm.weight is missing", e.Message);
    }

    [Fact]
    public void Gemma3_without_a_window_key_is_all_global_and_a_per_layer_pattern_array_is_read()
    {
        using (var m = ModelLoader.Load(Write(TinyLlama(arch: "gemma3", tied: true).Build())))
        {
            var c = m.Config;
            Assert.Equal(ModelArchitecture.Gemma3, c.Architecture);
            Assert.True(c.QkNorm);
            Assert.Equal((0f, 0f, 0), (c.AttentionSoftcap, c.FinalLogitSoftcap, c.SlidingWindow));
            Assert.False(c.IsLocalLayer(0));
            Assert.Equal(10000f, c.LocalRopeTheta);
        }

        var local = TinyLlama(arch: "gemma3", tied: true).Meta("gemma3.attention.sliding_window", GgufValueType.UInt32, 512u);
        using (var m = ModelLoader.Load(Write(local.Build())))
        {
            Assert.Equal((512, 6), (m.Config.SlidingWindow, m.Config.SlidingWindowPattern));
            Assert.True(m.Config.IsLocalLayer(0));
        }

        var global = TinyLlama(arch: "gemma3", tied: true).Meta("gemma3.attention.sliding_window", GgufValueType.UInt32, 512u)
            .Meta("gemma3.attention.sliding_window_pattern", GgufValueType.Array, GgufTestWriter.Arr(GgufValueType.Bool, new[] { false }));
        using (var m = ModelLoader.Load(Write(global.Build())))
        {
            Assert.False(m.Config.IsLocalLayer(0));
        }
    }

    [Fact]
    public void Mistral_is_accepted_with_the_llama_key_set()
    {
        var w = TinyLlama().Set("general.architecture", GgufValueType.String, "mistral");
        using var m = ModelLoader.Load(Write(w.Build()));
        Assert.Equal(ModelArchitecture.Llama, m.Config.Architecture);
        Assert.Equal(RopeLayout.Interleaved, m.Config.RopeLayout);
        Assert.Equal(32, m.Config.Dim);
    }

    [Fact]
    public void Optional_hyperparameters_are_read_and_defaulted()
    {
        var w = TinyLlama()
            .Without("llama.attention.head_count_kv")
            .Meta("llama.rope.freq_base", GgufValueType.Float32, 500000f)
            .Meta("llama.rope.dimension_count", GgufValueType.UInt32, 4u)
            .Meta("llama.attention.key_length", GgufValueType.UInt32, 8u)
            .Meta("llama.vocab_size", GgufValueType.UInt32, 8u);
        // Without head_count_kv the K/V projections are full width.
        w.Without("blk.0.attn_k.weight").Without("blk.0.attn_v.weight")
         .Tensor("blk.0.attn_k.weight", GgmlType.F32, [32, 32], new byte[32 * 32 * 4])
         .Tensor("blk.0.attn_v.weight", GgmlType.F32, [32, 32], new byte[32 * 32 * 4]);
        using var m = ModelLoader.Load(Write(w.Build()));
        Assert.Equal(4, m.Config.KvHeads);
        Assert.Equal(500000f, m.Config.RopeTheta);
        Assert.Equal(4, m.Config.RopeDimensions);
        Assert.Equal(8, m.Config.HeadDim);
    }

    [Fact]
    public void Llama3_rope_freqs_tensor_and_scaling_keys_are_exposed()
    {
        var w = TinyLlama()
            .Meta("llama.rope.scaling.type", GgufValueType.String, "llama3")
            .Meta("llama.rope.scaling.factor", GgufValueType.Float32, 8f)
            .Meta("llama.rope.scaling.original_context_length", GgufValueType.UInt32, 8192u)
            .Tensor("rope_freqs.weight", GgmlType.F32, [4], new byte[16]);
        using var m = ModelLoader.Load(Write(w.Build()));
        Assert.Equal([4L], m.Get("rope_freqs.weight").Shape);
        Assert.Equal(new RopeScaling(8f, 1f, 4f, 8192), m.Config.RopeScaling);

        var linearOne = TinyLlama().Meta("llama.rope.scaling.type", GgufValueType.String, "linear").Meta("llama.rope.scaling.factor", GgufValueType.Float32, 1f);
        using var m2 = ModelLoader.Load(Write(linearOne.Build(), "l1.gguf"));
        Assert.Null(m2.Config.RopeScaling);
    }

    [Fact]
    public void Gpt2_tokenizer_metadata_maps_to_byte_level_bpe()
    {
        var w = TinyLlama()
            .Set("tokenizer.ggml.model", GgufValueType.String, "gpt2")
            .Set("tokenizer.ggml.tokens", GgufValueType.Array, Arr(GgufValueType.String, new[] { "a", "b", "ab", "Ġ", "Ġa", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>" }))
            .Without("tokenizer.ggml.scores")
            .Set("tokenizer.ggml.token_type", GgufValueType.Array, Arr(GgufValueType.UInt32, new uint[] { 1, 1, 1, 1, 1, 3, 3, 3 }))
            .Meta("tokenizer.ggml.merges", GgufValueType.Array, Arr(GgufValueType.String, new[] { "a b", "Ġ a" }))
            .Meta("tokenizer.ggml.pre", GgufValueType.String, "llama-bpe")
            .Set("tokenizer.ggml.bos_token_id", GgufValueType.UInt32, 5u)
            .Set("tokenizer.ggml.eos_token_id", GgufValueType.UInt32, 6u)
            .Meta("tokenizer.ggml.eot_token_id", GgufValueType.UInt32, 7u)
            .Meta("tokenizer.ggml.padding_token_id", GgufValueType.Int32, 99) // out of range: the default (none)
            .Meta("tokenizer.ggml.add_eos_token", GgufValueType.Bool, true)
            .Meta("tokenizer.chat_template", GgufValueType.String, "{{ messages }}");
        using var m = ModelLoader.Load(Write(w.Build()));
        var t = m.Tokenizer!;
        Assert.Equal(TokenizerKind.ByteLevelBpe, t.Kind);
        Assert.Equal(["a b", "Ġ a"], t.Merges!);
        Assert.Null(t.Scores);
        Assert.Equal([1, 1, 1, 1, 1, 3, 3, 3], t.TokenTypes!);
        Assert.Equal("llama-bpe", t.PreTokenizer);
        Assert.Equal((5, 6, -1, -1), (t.BosId, t.EosId, t.UnkId, t.PadId));
        Assert.Equal([7], t.EotIds);
        Assert.True(t.AddBos); // llama.cpp's default for llama-bpe
        Assert.True(t.AddEos);
        Assert.False(t.AddSpacePrefix);
        Assert.Equal("{{ messages }}", t.ChatTemplate);
    }

    [Fact]
    public void Tokenizer_defaults_follow_llama_cpp()
    {
        var w = TinyLlama()
            .Without("tokenizer.ggml.bos_token_id").Without("tokenizer.ggml.scores").Without("tokenizer.ggml.token_type")
            .Set("tokenizer.ggml.eos_token_id", GgufValueType.UInt32, 4000u) // out of range: default 2
            .Meta("tokenizer.ggml.add_bos_token", GgufValueType.Bool, false)
            .Meta("tokenizer.ggml.add_space_prefix", GgufValueType.Bool, false);
        using var m = ModelLoader.Load(Write(w.Build()));
        var t = m.Tokenizer!;
        Assert.Equal((1, 2, 0), (t.BosId, t.EosId, t.UnkId));
        Assert.Null(t.Scores);
        Assert.Null(t.TokenTypes);
        Assert.False(t.AddBos);
        Assert.False(t.AddSpacePrefix);

        var none = TinyLlama().Set("tokenizer.ggml.model", GgufValueType.String, "no_vocab");
        using var m2 = ModelLoader.Load(Write(none.Build(), "nv.gguf"));
        Assert.Null(m2.Tokenizer);
        Assert.Equal(8, m2.Config.VocabSize);
    }

    [Fact]
    public void Load_tokenizer_reads_only_the_header_of_a_gguf()
    {
        var t = ModelLoader.LoadTokenizer(TestPaths.Model("llama-2-tiny-random.gguf"));
        Assert.Equal(32000, t.Tokens.Count);

        // A GGUF of an unsupported architecture still gives its tokenizer.
        var w = TinyLlama().Set("general.architecture", GgufValueType.String, "gpt-neox");
        Assert.Equal(8, ModelLoader.LoadTokenizer(Write(w.Build(), "neox.gguf")).Tokens.Count);
    }

    [Fact]
    public void The_mapping_is_released_on_dispose()
    {
        string p = Write(TinyLlama().Build(), "d.gguf");
        var m = ModelLoader.Load(p);
        m.Dispose();
        File.Delete(p); // would fail on platforms that lock mapped files if the map leaked
        Assert.False(File.Exists(p));
    }

    [Fact]
    public void Metadata_values_of_the_wrong_kind_are_named()
    {
        var w = TinyLlama().Set("llama.embedding_length", GgufValueType.String, "32");
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build())).Dispose());
        Assert.Contains("llama.embedding_length", e.Message);

        var tokens = TinyLlama().Set("tokenizer.ggml.tokens", GgufValueType.Array, Arr(GgufValueType.Int32, new int[8]));
        Assert.Contains("tokenizer.ggml.tokens", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(tokens.Build(), "t.gguf")).Dispose()).Message);
    }

    [Fact]
    public void Uniform_per_layer_arrays_are_accepted_and_varying_ones_refused()
    {
        var uniform = TinyLlama().Set("llama.attention.head_count_kv", GgufValueType.Array, Arr(GgufValueType.Int32, new[] { 2 }));
        using (var m = ModelLoader.Load(Write(uniform.Build())))
        {
            Assert.Equal(2, m.Config.KvHeads);
        }

        var varying = TinyLlama().Set("llama.feed_forward_length", GgufValueType.Array, Arr(GgufValueType.UInt32, new uint[] { 64, 32 }));
        Assert.Contains("differs between layers", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(varying.Build(), "v.gguf")).Dispose()).Message);
    }

    [Fact]
    public void A_raw_gguf_opens_without_model_checks()
    {
        // LoRA adapters are GGUF files without a model: any tensors, any architecture.
        var w = new GgufTestWriter()
            .Meta("general.architecture", GgufValueType.String, "llama")
            .Meta("general.type", GgufValueType.String, "adapter")
            .Tensor("blk.0.attn_q.weight.lora_a", GgmlType.F32, [32, 4], new byte[32 * 4 * 4]);
        using var raw = GgufRawFile.Open(Write(w.Build(), "lora.gguf"));
        Assert.Equal("adapter", raw.Metadata["general.type"]);
        Assert.Equal([32L, 4], raw.Tensors["blk.0.attn_q.weight.lora_a"].Shape);
    }
}
