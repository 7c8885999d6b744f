using CyLlm.Models.Gguf;
using CyLlm.Tensors;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>
/// gpt-oss GGUF files: the architecture's settings come from the architecture and its keys (window on the even layers,
/// softmax over the selected experts, the clamped SwiGLU, sinks, biases); hostile files (a missing sink or bias, biases
/// and sinks of the wrong shape, a missing window or output head, a second RoPE base) are refused with a
/// <see cref="ModelFormatException"/> that names the tensor or key.
/// </summary>
public sealed class GgufGptOssTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-gptoss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GgufTestWriter Tiny() => TinyLlama(arch: "gpt-oss", experts: 4, expertsUsed: 2);

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

    private static GgufTestWriter Replace(GgufTestWriter w, string name, long[] shape)
    {
        int n = (int)shape.Aggregate(1L, (a, b) => a * b);
        return w.Without(name).Tensor(name, GgmlType.F32, shape, RandomRows(new Random(5), GgmlType.F32, n, 1));
    }

    [Fact]
    public void A_gpt_oss_file_loads_with_the_architecture_s_settings()
    {
        using var m = ModelLoader.Load(Write(Tiny().Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.GptOss, c.Architecture);
        Assert.Equal((4, 2, 64), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim));
        Assert.Equal(ExpertGating.SoftmaxOverSelected, c.ExpertGating);
        Assert.False(c.ExpertWeightsNormalized);
        Assert.True(c.ExpertBiases && c.AttentionSinks && c.AttentionOutputBias && c.AttentionBias && c.FfnNormIsPostAttentionNorm);
        Assert.Equal((7f, 1.702f), (c.SwiGluLimit, c.SwiGluAlpha));
        Assert.Equal((8, 2), (c.SlidingWindow, c.SlidingWindowPattern));
        Assert.True(c.IsLocalLayer(0));
        Assert.False(c.IsLocalLayer(1));
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
    }

    [Theory]
    [InlineData("blk.0.attn_sinks.weight")]
    [InlineData("blk.0.attn_output.bias")]
    [InlineData("blk.0.ffn_gate_inp.bias")]
    [InlineData("blk.0.ffn_gate_exps.bias")]
    [InlineData("blk.0.ffn_up_exps.bias")]
    [InlineData("blk.0.ffn_down_exps.bias")]
    [InlineData("blk.0.post_attention_norm.weight")]
    public void A_missing_sink_or_bias_is_refused_by_name(string name)
    {
        Assert.Contains($"tensor {name} is missing", Fails(Tiny().Without(name)));
    }

    [Theory]
    [InlineData("blk.0.attn_sinks.weight", new long[] { 2 }, "expected [4]")]            // one per KV head, not per query head
    [InlineData("blk.0.attn_output.bias", new long[] { 16 }, "expected [32]")]
    [InlineData("blk.0.ffn_gate_inp.bias", new long[] { 3 }, "expected [4]")]
    [InlineData("blk.0.ffn_gate_exps.bias", new long[] { 64 }, "expected [64, 4]")]     // one row for all experts
    [InlineData("blk.0.ffn_up_exps.bias", new long[] { 4, 64 }, "expected [64, 4]")]    // transposed
    [InlineData("blk.0.ffn_down_exps.bias", new long[] { 64, 4 }, "expected [32, 4]")]  // the expert width, not dim
    [InlineData("blk.0.attn_q.bias", new long[] { 16 }, "expected [32]")]
    public void A_sink_or_bias_of_the_wrong_shape_is_refused_with_the_expected_shape(string name, long[] shape, string expected)
    {
        var msg = Fails(Replace(Tiny(), name, shape));
        Assert.Contains($"tensor {name} has shape", msg);
        Assert.Contains(expected, msg);
    }

    [Fact]
    public void A_file_without_the_window_key_is_refused()
    {
        Assert.Contains("metadata 'gpt-oss.attention.sliding_window' is missing", Fails(Tiny().Without("gpt-oss.attention.sliding_window")));
        Assert.Contains("needs a positive window", Fails(Tiny().Set("gpt-oss.attention.sliding_window", GgufValueType.UInt32, 0u)));
    }

    [Fact]
    public void A_tied_output_head_or_a_second_rope_base_is_refused()
    {
        Assert.Contains("output.weight is missing", Fails(Tiny().Without("output.weight")));
        Assert.Contains("rope.freq_base_swa", Fails(Tiny().Meta("gpt-oss.rope.freq_base_swa", GgufValueType.Float32, 5000f)));
    }

    [Fact]
    public void A_gpt_oss_file_without_experts_is_refused()
    {
        Assert.Contains("gpt-oss needs experts", Fails(Tiny().Without("gpt-oss.expert_count")));
    }

    [Fact]
    public void An_explicit_window_pattern_is_honoured()
    {
        using var m = ModelLoader.Load(Write(Tiny().Meta("gpt-oss.attention.sliding_window_pattern", GgufValueType.UInt32, 1u).Build()));
        Assert.False(m.Config.IsLocalLayer(0));
    }
}
