using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic MoE GGUFs of scripts/golden/gen_moe.py re-written as Hugging Face folders the way transformers saves
/// Mixtral (block_sparse_moe.experts.{e}.w1/w3/w2), Qwen3-MoE and Qwen2-MoE (mlp.experts.{e}.gate_proj/up_proj/down_proj,
/// Qwen2-MoE's shared_expert and shared_expert_gate): one matrix per expert, stacked by the loader into the 3-D expert
/// tensors. The folder must give the GGUF's logits, whether its experts lie in index order (a view of the file) or in
/// name order (copied), and its routing settings must come from config.json.
/// </summary>
public sealed class MoeHfTests : IDisposable
{
    private static readonly int[] Prompt = [1, 450, 4996, 17354, 1701];
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-moe-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private (float[] Gguf, float[] Hf, ModelConfig Config) Compare(string arch, string modelType, bool byName, int shards = 1)
    {
        string gguf = SyntheticMoe.Get(arch, "f32");
        float[] expected;
        using (var engine = InferenceEngine.Load(gguf, null, new EngineOptions { Threads = 2 }))
        {
            expected = engine.PromptLogits(Prompt);
        }

        string folder = Path.Combine(_dir, $"{arch}-{byName}-{shards}");
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", shards: shards, modelType: modelType, expertsByName: byName);
        }

        using var hf = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2 });
        Assert.Equal("safetensors", hf.Model.Format);
        return (expected, hf.PromptLogits(Prompt), hf.Config);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_mixtral_folder_gives_the_gguf_logits(bool byName)
    {
        var (gguf, hf, c) = Compare("mixtral", "mixtral", byName);
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((8, 2, 256, true), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.ExpertWeightsNormalized));
        Assert.True(MaxDiff(gguf, hf) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(gguf, hf)}");
    }

    [SkippableFact]
    public void A_qwen3_moe_folder_in_shards_gives_the_gguf_logits()
    {
        var (gguf, hf, c) = Compare("qwen3moe", "qwen3_moe", byName: true, shards: 3);
        Assert.Equal(ModelArchitecture.Qwen3Moe, c.Architecture);
        Assert.True(c.QkNorm);
        Assert.Equal((16, 4, 128, 64), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.HeadDim));
        Assert.True(MaxDiff(gguf, hf) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(gguf, hf)}");
    }

    [SkippableFact]
    public void A_qwen2_moe_folder_with_its_shared_expert_gives_the_gguf_logits()
    {
        var (gguf, hf, c) = Compare("qwen2moe", "qwen2_moe", byName: false);
        Assert.Equal(ModelArchitecture.Qwen2Moe, c.Architecture);
        Assert.True(c.AttentionBias);
        Assert.False(c.ExpertWeightsNormalized);
        Assert.Equal((16, 4, 128, 384), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.SharedExpertHiddenDim));
        Assert.True(MaxDiff(gguf, hf) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(gguf, hf)}");
    }

    [SkippableFact]
    public void Norm_topk_prob_in_config_json_decides_whether_the_expert_weights_are_renormalised()
    {
        string gguf = SyntheticMoe.Get("qwen3moe", "f32");
        string folder = Path.Combine(_dir, "raw-weights");
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", modelType: "qwen3_moe", extraConfig: new Dictionary<string, object?> { ["norm_topk_prob"] = false });
        }

        using var hf = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2 });
        Assert.False(hf.Config.ExpertWeightsNormalized);
        using var engine = InferenceEngine.Load(gguf, null, new EngineOptions { Threads = 2 });
        float diff = MaxDiff(engine.PromptLogits(Prompt), hf.PromptLogits(Prompt));
        Assert.True(diff > 1e-3f, $"unnormalised top-k weights moved the logits by only {diff}");
    }
}
