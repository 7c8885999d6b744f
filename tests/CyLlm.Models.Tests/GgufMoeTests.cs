using CyLlm.Tensors;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>
/// Mixture-of-experts GGUF files: Mixtral ("llama" with expert_count) and "qwen3moe" load with their expert
/// settings and merged 3-D expert tensors; inconsistent keys, 2-D expert tensors and expert tensors in a dense
/// file are refused by name.
/// </summary>
public sealed class GgufMoeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-moe-").FullName;

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

    [Fact]
    public void A_llama_file_with_experts_is_a_mixtral_style_moe_with_merged_expert_tensors()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(experts: 4, expertsUsed: 2).Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.True(c.IsMoe);
        Assert.Equal((4, 2, 64), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim));
        Assert.Equal(RopeLayout.Interleaved, c.RopeLayout);
        Assert.Equal([32L, 64L, 4L], m.Get("blk.0.ffn_gate_exps.weight").Shape);
        Assert.Equal([64L, 32L, 4L], m.Get("blk.0.ffn_down_exps.weight").Shape);
        Assert.Null(m.TryGet("blk.0.ffn_gate.weight"));
    }

    [Fact]
    public void Qwen3moe_has_head_norms_half_split_rope_and_the_expert_width_of_its_own_key()
    {
        // feed_forward_length says 64 and expert_feed_forward_length 64 too here; the width comes from the latter
        // (a file with only feed_forward_length would give 64 / 2 = 32 and fail the shape check).
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "qwen3moe", tied: true, experts: 8, expertsUsed: 3).Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Qwen3Moe, c.Architecture);
        Assert.True(c.QkNorm);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((8, 3, 64), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim));
        Assert.Equal(0f, c.ExpertWeightsScale);
    }

    [Fact]
    public void Qwen3moe_without_the_expert_width_key_falls_back_to_ffn_over_used_like_llama_cpp()
    {
        var msg = Fails(TinyLlama(arch: "qwen3moe", experts: 4, expertsUsed: 2).Without("qwen3moe.expert_feed_forward_length"));
        Assert.Contains("tensor blk.0.ffn_gate_exps.weight has shape [32, 64, 4], expected [32, 128]", msg);
    }

    [Fact]
    public void Inconsistent_expert_counts_are_refused()
    {
        Assert.Contains("expert_used_count 5 are inconsistent", Fails(TinyLlama(experts: 4, expertsUsed: 5)));
        Assert.Contains("expert_used_count 0 are inconsistent", Fails(TinyLlama(experts: 4).Without("llama.expert_used_count")));
        Assert.Contains("qwen3moe needs experts", Fails(TinyLlama(arch: "qwen3moe")));
    }

    [Fact]
    public void A_two_dimensional_expert_tensor_is_not_taken_for_experts()
    {
        var w = TinyLlama(experts: 4).Without("blk.0.ffn_up_exps.weight");
        var rng = new Random(3);
        w.Tensor("blk.0.ffn_up_exps.weight", GgmlType.F32, [32, 64 * 4], RandomRows(rng, GgmlType.F32, 32, 64 * 4));
        Assert.Contains("tensor blk.0.ffn_up_exps.weight has shape [32, 256], expected [32, 64, 4]", Fails(w));
    }

    [Fact]
    public void Qwen2moe_has_qkv_biases_raw_expert_weights_and_a_shared_expert()
    {
        using var m = ModelLoader.Load(Write(TinyLlama(arch: "qwen2moe", experts: 4, expertsUsed: 2).Build()));
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Qwen2Moe, c.Architecture);
        Assert.True(c.AttentionBias);
        Assert.False(c.QkNorm);
        Assert.False(c.ExpertWeightsNormalized);
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.Equal((4, 2, 64, 96), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.SharedExpertHiddenDim));
    }

    [Fact]
    public void Qwen2moe_without_the_shared_width_key_falls_back_to_feed_forward_length_like_llama_cpp()
    {
        var msg = Fails(TinyLlama(arch: "qwen2moe", experts: 4).Without("qwen2moe.expert_shared_feed_forward_length"));
        Assert.Contains("tensor blk.0.ffn_gate_shexp.weight has shape [32, 96], expected [32, 64]", msg);
    }

    [Theory]
    [InlineData("blk.0.ffn_gate_inp_shexp.weight", new long[] { 32, 2 }, "expected [32] (ggml order)")]
    [InlineData("blk.0.ffn_gate_shexp.weight", new long[] { 32, 64 }, "expected [32, 96]")]
    [InlineData("blk.0.ffn_up_shexp.weight", new long[] { 96, 32 }, "expected [32, 96]")]
    [InlineData("blk.0.ffn_down_shexp.weight", new long[] { 32, 96 }, "expected [96, 32]")]
    public void Qwen2moe_shared_expert_tensors_of_the_wrong_shape_are_refused_in_one_line(string name, long[] shape, string expected)
    {
        var w = TinyLlama(arch: "qwen2moe", experts: 4).Without(name);
        w.Tensor(name, GgmlType.F32, shape, RandomRows(new Random(5), GgmlType.F32, (int)shape[0], (int)(shape.Aggregate(1L, (a, b) => a * b) / shape[0])));
        var msg = Fails(w);
        Assert.Contains($"tensor {name} has shape [{string.Join(", ", shape)}], {expected}", msg);
    }

    [Fact]
    public void Qwen2moe_without_its_shared_expert_or_experts_is_refused()
    {
        Assert.Contains("tensor blk.0.ffn_down_shexp.weight is missing", Fails(TinyLlama(arch: "qwen2moe", experts: 4).Without("blk.0.ffn_down_shexp.weight")));
        Assert.Contains("qwen2moe needs experts", Fails(TinyLlama(arch: "qwen2moe")));
    }

    [Fact]
    public void Shared_expert_tensors_in_a_model_without_them_are_refused_rather_than_ignored()
    {
        var w = TinyLlama(arch: "qwen3moe", experts: 4).Tensor("blk.0.ffn_gate_inp_shexp.weight", GgmlType.F32, [32], new byte[32 * 4]);
        Assert.Contains("blk.0.ffn_gate_inp_shexp.weight is not used by CyLlm's Qwen3Moe forward pass", Fails(w));
    }

    [Fact]
    public void Expert_tensors_in_a_dense_file_are_refused_rather_than_ignored()
    {
        var w = TinyLlama().Tensor("blk.0.ffn_gate_inp.weight", GgmlType.F32, [32, 4], new byte[32 * 4 * 4]);
        Assert.Contains("blk.0.ffn_gate_inp.weight is not used by CyLlm's Llama forward pass", Fails(w));
    }
}
