using CyLlm.Models.Gguf;
using CyLlm.Tensors;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>
/// Phi-3 GGUF files (general.architecture "phi3"): fused attn_qkv and gate-up ffn_up, LongRoPE factor tensors with the
/// original context and attention factor, the sliding-window key llama.cpp ignores; wrong fused shapes and half a
/// LongRoPE pair are refused by name. YaRN keys load as <see cref="YarnScaling"/>.
/// </summary>
public sealed class GgufPhi3Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-phi3-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes)
    {
        string p = Path.Combine(_dir, "m.gguf");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private string Fails(GgufTestWriter w)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(w.Build())).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    // dim 32, 4 heads of 8: 4 rotated pairs per head.
    private static GgufTestWriter LongRope() => TinyLlama(arch: "phi3")
        .Meta("phi3.rope.scaling.original_context_length", GgufValueType.UInt32, 16u)
        .Meta("phi3.rope.scaling.attn_factor", GgufValueType.Float32, 1.2f)
        .Meta("phi3.attention.sliding_window", GgufValueType.UInt32, 2047u)
        .Tensor("rope_factors_long.weight", GgmlType.F32, [4], Floats(1, 2, 4, 8))
        .Tensor("rope_factors_short.weight", GgmlType.F32, [4], Floats(1, 1.1f, 1.2f, 1.3f));

    [Fact]
    public void A_phi3_file_loads_with_fused_matrices_longrope_and_no_window()
    {
        using var m = ModelLoader.Load(Write(LongRope().Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Phi3, c.Architecture);
        Assert.True(c.FusedQkv);
        Assert.True(c.FusedGateUp);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal(16, c.RopeOriginalContext);
        Assert.Equal(1.2f, c.RopeAttentionFactor);
        Assert.Equal(0, c.SlidingWindow);   // llama.cpp disables Phi's sliding window; so does CyLlm
        Assert.Equal(64, c.HiddenDim);   // ffn_up holds 2 × 64 rows
    }

    [Fact]
    public void A_phi4_file_without_rope_factors_loads()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "phi3").Build()));
        Assert.Equal(ModelArchitecture.Phi3, m.Config.Architecture);
        Assert.Equal(0f, m.Config.RopeAttentionFactor);
        Assert.Null(m.TryGet("rope_factors_long.weight"));
    }

    [Fact]
    public void Wrong_fused_shapes_and_half_a_longrope_pair_are_named()
    {
        Assert.Contains("blk.0.attn_q.weight is missing (and so is the fused blk.0.attn_qkv.weight)", Fails(TinyPhi3Without("blk.0.attn_qkv.weight")));
        Assert.Contains("tensor blk.0.ffn_up.weight has shape [32, 64], expected [32, 128]", Fails(TinyPhi3Replacing("blk.0.ffn_up.weight", [32, 64])));
        Assert.Contains("tensor blk.0.attn_qkv.weight has shape [32, 48], expected [32, 64]", Fails(TinyPhi3Replacing("blk.0.attn_qkv.weight", [32, 48])));
        Assert.Contains("rope_factors_long.weight and rope_factors_short.weight come together",
            Fails(TinyLlama(arch: "phi3").Tensor("rope_factors_long.weight", GgmlType.F32, [4], Floats(1, 2, 4, 8))));
        Assert.Contains("tensor rope_factors_short.weight has shape [3], expected [4]",
            Fails(TinyLlama(arch: "phi3").Tensor("rope_factors_long.weight", GgmlType.F32, [4], Floats(1, 2, 4, 8)).Tensor("rope_factors_short.weight", GgmlType.F32, [3], Floats(1, 2, 3))));
        Assert.Contains("attention factor -1", Fails(TinyLlama(arch: "phi3").Meta("phi3.rope.scaling.attn_factor", GgufValueType.Float32, -1f)));
    }

    [Fact]
    public void Yarn_keys_load_as_llama_cpp_reads_them()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "qwen3")
            .Meta("qwen3.rope.scaling.type", GgufValueType.String, "yarn")
            .Meta("qwen3.rope.scaling.factor", GgufValueType.Float32, 4f)
            .Meta("qwen3.rope.scaling.original_context_length", GgufValueType.UInt32, 16u).Build()));
        var y = m.Config.Yarn;
        Assert.NotNull(y);
        // attn_factor: llama.cpp's get_mscale(4) cancelled by 1 / (1 + 0.1·ln 4); ggml's rope_yarn adds it back.
        Assert.Equal((4f, 16, 1f, 1f, 32f, 1f), (y.Factor, y.OriginalContextLength, y.ExtFactor, y.AttnFactor, y.BetaFast, y.BetaSlow));
        Assert.Null(m.Config.RopeScaling);
    }

    [Fact]
    public void A_model_named_phi3_gets_llama_cpps_rstrip_tokens_and_others_none()
    {
        // The tiny vocabulary: <unk> (unknown), <s>, </s> (control), then normal pieces. llama.cpp's Phi-3 rule (by
        // general.name): every special token swallows the whitespace after it except <unk>, <s> and <|endoftext|>.
        using var phi = ModelLoader.Load(Write(TinyLlama(arch: "phi3").Set("general.name", GgufValueType.String, "Phi-3 Mini 4k Instruct").Build()));
        Assert.Equal([2], phi.Tokenizer!.RStripIds);
        using var phi3 = ModelLoader.Load(Write(TinyLlama(arch: "phi3").Set("general.name", GgufValueType.String, "phi3").Build()));
        Assert.Equal([2], phi3.Tokenizer!.RStripIds);
        // "Phi 3.5 Mini Instruct" (how newer conversions name it) does not match llama.cpp's rule, so nothing is stripped.
        using var spaced = ModelLoader.Load(Write(TinyLlama(arch: "phi3").Set("general.name", GgufValueType.String, "Phi 3.5 Mini Instruct").Build()));
        Assert.Empty(spaced.Tokenizer!.RStripIds);
    }

    private static GgufTestWriter TinyPhi3Without(string tensor) => TinyLlama(arch: "phi3").Without(tensor);

    private static GgufTestWriter TinyPhi3Replacing(string tensor, long[] shape)
    {
        var w = TinyLlama(arch: "phi3");
        w.Without(tensor);
        return w.Tensor(tensor, GgmlType.F32, shape, new byte[shape[0] * shape[1] * 4]);
    }
}
