using System.Text.Json.Nodes;

namespace CyLlm.Models.Tests;

/// <summary>
/// Mixture-of-experts Hugging Face folders: per-expert matrices stacked into the 3-D expert tensors byte for byte (a view
/// of the file when they lie in index order, a copy otherwise), the routing keys of config.json, and folders whose
/// experts do not add up refused with one clear line.
/// </summary>
public sealed class SafetensorsMoeTests : IDisposable
{
    private const int Experts = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-hf-moe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HfTestFolder Mixtral(string name, Func<List<(string Name, long[] Shape)>, List<(string Name, long[] Shape)>>? edit = null, int shards = 1)
    {
        var f = new HfTestFolder(Path.Combine(_dir, name)) { Experts = Experts, EditTensors = edit, Shards = shards };
        f.Config["architectures"] = new JsonArray("MixtralForCausalLM");
        f.Config["model_type"] = "mixtral";
        f.Config["num_local_experts"] = Experts;
        f.Config["num_experts_per_tok"] = 2;
        return f;
    }

    private static ModelFormatException Fails(string path)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static int ExpertOf(string name) => int.Parse(name.Split('.')[5], System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public unsafe void Per_expert_matrices_stack_into_the_expert_tensors_byte_for_byte(bool byName, int shards)
    {
        // Name order puts expert 10 after expert 1; with 4 experts, reversing the order breaks contiguity the same way.
        var f = Mixtral($"stack-{byName}-{shards}", byName ? l => [.. l.OrderBy(t => t.Name.Contains(".experts.", StringComparison.Ordinal) ? -ExpertOf(t.Name) : 0)] : null, shards).Write();
        using var m = ModelLoader.Load(f.Folder);
        var c = m.Config;
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((Experts, 2, HfTestFolder.Hidden, true), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.ExpertWeightsNormalized));
        foreach (var (hf, gguf) in new[] { ("w1", "ffn_gate_exps"), ("w3", "ffn_up_exps"), ("w2", "ffn_down_exps") })
        {
            var t = m.Get($"blk.1.{gguf}.weight");
            long[] expected = hf == "w2" ? [HfTestFolder.Hidden, HfTestFolder.Dim, Experts] : [HfTestFolder.Dim, HfTestFolder.Hidden, Experts];
            Assert.Equal(expected, t.Shape);
            long per = t.ByteLength / Experts;
            for (int e = 0; e < Experts; e++)
            {
                var bytes = new ReadOnlySpan<byte>((byte*)t.Data + (e * per), (int)per);
                Assert.True(bytes.SequenceEqual(f.Written[$"model.layers.1.block_sparse_moe.experts.{e}.{hf}.weight"]), $"{gguf} expert {e}");
            }
        }

        Assert.Equal([HfTestFolder.Dim, Experts], m.Get("blk.0.ffn_gate_inp.weight").Shape);
    }

    [Fact]
    public void A_missing_expert_is_named()
    {
        var f = Mixtral("missing", l => [.. l.Where(t => t.Name != "model.layers.1.block_sparse_moe.experts.2.w3.weight")]).Write();
        Assert.Contains("expert 2 is missing", Fails(f.Folder).Message);
    }

    [Fact]
    public void Experts_of_different_shapes_are_refused()
    {
        var f = Mixtral("shapes", l => [.. l.Select(t => t.Name == "model.layers.0.block_sparse_moe.experts.3.w1.weight" ? (t.Name, new long[] { HfTestFolder.Hidden + 1, HfTestFolder.Dim }) : t)]).Write();
        Assert.Contains("every expert of a layer must match", Fails(f.Folder).Message);
    }

    [Fact]
    public void Fewer_experts_than_config_json_says_is_refused_by_the_shape_check()
    {
        var f = Mixtral("count");
        f.Config["num_local_experts"] = Experts + 2;
        f.Write();
        Fails(f.Folder);
    }

    [Fact]
    public void More_experts_per_token_than_experts_is_refused()
    {
        var f = Mixtral("topk");
        f.Config["num_experts_per_tok"] = Experts + 1;
        f.Write();
        Assert.Contains("num_experts_per_tok", Fails(f.Folder).Message);
    }

    [Fact]
    public void Qwen_moe_with_dense_layers_among_the_sparse_ones_is_refused()
    {
        var f = Mixtral("sparse-step");
        f.Config["model_type"] = "qwen3_moe";
        f.Config["num_experts"] = Experts;
        f.Config["moe_intermediate_size"] = HfTestFolder.Hidden;
        f.Config["mlp_only_layers"] = new JsonArray(1);
        f.Write();
        Assert.Contains("mlp_only_layers", Fails(f.Folder).Message);
    }

    [Fact]
    public void An_expert_index_that_is_not_a_number_is_left_to_the_unknown_tensor_check()
    {
        var f = Mixtral("bad-index", l => [.. l, ("model.layers.0.block_sparse_moe.experts.x.w1.weight", [HfTestFolder.Hidden, HfTestFolder.Dim])]).Write();
        Assert.Contains("experts.x.w1", Fails(f.Folder).Message);
    }

    [Fact]
    public void A_layer_given_both_as_one_tensor_and_per_expert_is_refused()
    {
        var f = Mixtral("both", l => [.. l, ("blk.0.ffn_gate_exps.weight", [Experts, HfTestFolder.Hidden, HfTestFolder.Dim])]).Write();
        Assert.Contains("both as one tensor and as per-expert matrices", Fails(f.Folder).Message);
    }
}
