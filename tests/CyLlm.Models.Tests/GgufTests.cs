using CyLlm.Models.Gguf;
using CyLlm.Tensors;

namespace CyLlm.Models.Tests;

/// <summary>GGUF conformance (real files, every metadata type, v2/v3, alignments, tensor types) and hostile input.</summary>
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
        Assert.Equal((64, 172, 5, 8, 4, 8, 512, 2048), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.VocabSize, c.ContextLength));
        Assert.Equal(48, m.Tensors.Count);
        Assert.All(m.Tensors.Values, t => Assert.Equal(GgmlType.F32, t.Type));
        Assert.Equal([64L, 32], m.Get("blk.0.attn_k.weight").Shape);
        Assert.Equal([64L, 172], m.Get("blk.4.ffn_gate.weight").Shape);
        Assert.False(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.Interleaved, c.RopeLayout);
        Assert.Equal(1, m.Tokenizer!.BosId);
        Assert.Equal(512, m.Tokenizer.Tokens.Count);
    }

    [Fact]
    public unsafe void Stories260K_weights_are_bit_identical_in_gguf_and_llama2c()
    {
        using var g = ModelLoader.Load(TestPaths.Model("stories260K.gguf"));
        using var b = ModelLoader.Load(TestPaths.Model("stories260K.bin"), TestPaths.Model("tok512.bin"));
        Assert.Equal("llama2c", b.Format);
        Assert.True(b.Config.TiedEmbeddings);
        foreach (var name in new[] { "token_embd.weight", "blk.0.attn_q.weight", "blk.3.ffn_down.weight", "blk.4.attn_norm.weight", "output_norm.weight" })
        {
            var tg = g.Get(name);
            var tb = b.Get(name);
            Assert.Equal(tg.Shape, tb.Shape);
            Assert.True(new ReadOnlySpan<byte>((void*)tg.Data, (int)tg.ByteLength).SequenceEqual(new ReadOnlySpan<byte>((void*)tb.Data, (int)tb.ByteLength)), name);
        }
    }

    [Fact]
    public void Llama2_tiny_random_is_f16_with_the_full_vocabulary()
    {
        using var m = ModelLoader.Load(TestPaths.Model("llama-2-tiny-random.gguf"));
        Assert.Equal(32000, m.Config.VocabSize);
        Assert.Equal(GgmlType.F16, m.Get("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.F32, m.Get("blk.0.attn_norm.weight").Type);
        Assert.Equal(-1, m.Tokenizer!.PadId); // 0xFFFFFFFF means "none"
    }

    [Theory]
    [InlineData(2u, 32)]
    [InlineData(3u, 32)]
    [InlineData(3u, 64)]
    public void Every_metadata_type_round_trips(uint version, int alignment)
    {
        var w = GgufTestWriter.TinyLlama(version: version, alignment: alignment)
            .Meta("t.u8", GgufValueType.UInt8, (byte)200)
            .Meta("t.i8", GgufValueType.Int8, (sbyte)-100)
            .Meta("t.u16", GgufValueType.UInt16, (ushort)60000)
            .Meta("t.i16", GgufValueType.Int16, (short)-30000)
            .Meta("t.u32", GgufValueType.UInt32, 4_000_000_000u)
            .Meta("t.i32", GgufValueType.Int32, -2_000_000_000)
            .Meta("t.f32", GgufValueType.Float32, 1.5f)
            .Meta("t.bool", GgufValueType.Bool, true)
            .Meta("t.str", GgufValueType.String, "héllo")
            .Meta("t.u64", GgufValueType.UInt64, ulong.MaxValue)
            .Meta("t.i64", GgufValueType.Int64, long.MinValue)
            .Meta("t.f64", GgufValueType.Float64, Math.PI)
            .Meta("t.nested", GgufValueType.Array, (GgufValueType.Array, (System.Collections.IList)new object[] { (GgufValueType.UInt8, (System.Collections.IList)new byte[] { 1, 2 }) }));
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
        Assert.Equal("héllo", md["t.str"]);
        Assert.Equal(ulong.MaxValue, md["t.u64"]);
        Assert.Equal(long.MinValue, md["t.i64"]);
        Assert.Equal(Math.PI, md["t.f64"]);
        Assert.Equal(new object[] { (byte)1, (byte)2 }, (object[])((object[])md["t.nested"])[0]);
        Assert.Equal(32, m.Config.Dim);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    public void Quantized_tensor_types_load(GgmlType type)
    {
        using var m = ModelLoader.Load(Write(GgufTestWriter.TinyLlama(type).Build()));
        Assert.Equal(type, m.Get("blk.0.ffn_up.weight").Type);
        Assert.Equal(GgmlTypeInfo.RowBytes(type, 32) * 64, m.Get("blk.0.ffn_up.weight").ByteLength);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_a_clear_format_error()
    {
        var bytes = GgufTestWriter.TinyLlama().Build();
        for (int n = 0; n < bytes.Length; n += Math.Max(1, n < 2000 ? 1 : 97))
        {
            string p = Write(bytes[..n], $"t{n}.gguf");
            var e = Record.Exception(() => ModelLoader.Load(p).Dispose());
            Assert.True(e is ModelFormatException, $"prefix {n}: {e?.GetType().Name}: {e?.Message}");
            File.Delete(p);
        }
    }

    public static TheoryData<string, int, byte[], string> Mutations() => new()
    {
        { "version 1", 4, BitConverter.GetBytes(1u), "unsupported GGUF version 1" },
        { "version 99", 4, BitConverter.GetBytes(99u), "unsupported GGUF version 99" },
        { "2^60 tensors", 8, BitConverter.GetBytes(1UL << 60), "tensor count" },
        { "2^60 metadata", 16, BitConverter.GetBytes(1UL << 60), "metadata count" },
        { "2^40 key length", 24, BitConverter.GetBytes(1UL << 40), "runs past the end" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void Hostile_headers_fail_fast_with_a_message(string what, int offset, byte[] patch, string fragment)
    {
        var bytes = GgufTestWriter.TinyLlama().Build();
        patch.CopyTo(bytes, offset);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes)).Dispose());
        Assert.Contains(fragment, e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void Bad_magic_is_not_a_model() =>
        Assert.Contains("unrecognised", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write("GGUX-not-a-model-at-all-padding-"u8.ToArray())).Dispose()).Message);

    [Fact]
    public void Unknown_and_unsupported_tensor_types_are_named()
    {
        var unknown = new GgufTestWriter().Meta("general.architecture", GgufValueType.String, "llama").Tensor("x", (GgmlType)99, [32], new byte[128]).Build();
        Assert.Contains("unknown type 99", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(unknown, "u.gguf")).Dispose()).Message);
        var unsupported = new GgufTestWriter().Meta("general.architecture", GgufValueType.String, "llama").Tensor("x", GgmlType.IQ2_XXS, [256], new byte[66]).Build();
        Assert.Contains("IQ2_XXS", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(unsupported, "i.gguf")).Dispose()).Message);
    }

    [Fact]
    public void Tensor_data_past_the_end_is_rejected()
    {
        var bytes = GgufTestWriter.TinyLlama().Build();
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes[..(bytes.Length - 64)])).Dispose());
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void Unknown_architecture_and_missing_tensors_are_named()
    {
        var arch = new GgufTestWriter().Meta("general.architecture", GgufValueType.String, "gpt-neox").Build();
        Assert.Contains("gpt-neox", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(arch, "a.gguf")).Dispose()).Message);
        var w = new GgufTestWriter()
            .Meta("general.architecture", GgufValueType.String, "llama")
            .Meta("llama.embedding_length", GgufValueType.UInt32, 32)
            .Meta("llama.feed_forward_length", GgufValueType.UInt32, 64)
            .Meta("llama.block_count", GgufValueType.UInt32, 1)
            .Meta("llama.attention.head_count", GgufValueType.UInt32, 4)
            .Tensor("token_embd.weight", GgmlType.F32, [32, 8], new byte[32 * 8 * 4]);
        Assert.Contains("blk.0.attn_norm.weight", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build(), "b.gguf")).Dispose()).Message);
    }

    [Fact]
    public void Duplicate_tensor_names_are_rejected()
    {
        var w = new GgufTestWriter().Meta("general.architecture", GgufValueType.String, "llama")
            .Tensor("x", GgmlType.F32, [8], new byte[32]).Tensor("x", GgmlType.F32, [8], new byte[32]);
        Assert.Contains("duplicate tensor", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build())).Dispose()).Message);
    }

    [Fact]
    public void Llama2c_headers_with_absurd_dimensions_are_rejected()
    {
        foreach (var header in new[] { new[] { 64, 172, 5, 8, 4, 512, 0 }, new[] { 64, -5, 5, 8, 4, 512, 512 }, new[] { 64, 172, 5, 8, 3, 512, 512 }, new[] { 65, 172, 5, 8, 4, 512, 512 } })
        {
            var bytes = header.SelectMany(BitConverter.GetBytes).Concat(new byte[4096]).ToArray();
            var e = Record.Exception(() => ModelLoader.Load(Write(bytes, "x.bin")).Dispose());
            Assert.True(e is ModelFormatException, $"{string.Join(",", header)}: {e?.GetType().Name}");
        }
    }

    [Fact]
    public void Truncated_llama2c_checkpoint_is_rejected()
    {
        var bytes = File.ReadAllBytes(TestPaths.Model("stories260K.bin"));
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes[..(bytes.Length / 3)], "s.bin")).Dispose());
        Assert.Contains("truncated", e.Message);
    }
}
