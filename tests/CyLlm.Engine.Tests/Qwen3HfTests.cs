using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Qwen3 GGUF re-written as a Hugging Face folder (model_type "qwen3", self_attn.q_norm/k_norm,
/// head_dim in config.json): the safetensors path runs the same model, and the per-head Q/K norm weights are
/// really applied — scaling one layer's query norm or key norm moves the logits.
/// </summary>
public sealed class Qwen3HfTests : IDisposable
{
    private static readonly int[] Prompt = [1, 9038, 2501, 263, 931];
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-qwen3-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private float[] HfLogits(string name, Func<string, float[], float[]>? edit = null)
    {
        string gguf = SyntheticQwen3.Get("f32");
        string folder = Path.Combine(_dir, name);
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", modelType: "qwen3", edit: edit);
        }

        using var engine = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2 });
        Assert.Equal("safetensors", engine.Model.Format);
        Assert.Equal(ModelArchitecture.Qwen3, engine.Config.Architecture);
        Assert.Equal(64, engine.Config.HeadDim);
        return engine.PromptLogits(Prompt);
    }

    [SkippableFact]
    public void A_yarn_rope_scaling_folder_gives_the_yarn_gguf_logits()
    {
        string gguf = SyntheticQwen3.GetYarn4();
        float[] expected;
        using (var engine = InferenceEngine.Load(gguf, null, new EngineOptions { Threads = 2 }))
        {
            expected = engine.PromptLogits(Prompt);
        }

        string folder = Path.Combine(_dir, "yarn");
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", modelType: "qwen3");
        }

        using var hf = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2 });
        Assert.Equal(new YarnScaling(4f, 128, 1f, 1f, 32f, 1f), hf.Config.Yarn);
        var actual = hf.PromptLogits(Prompt);
        Assert.True(MaxDiff(expected, actual) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(expected, actual)}");
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [SkippableFact]
    public void The_hf_folder_gives_the_gguf_logits_and_each_head_norm_moves_them()
    {
        float[] gguf;
        using (var engine = InferenceEngine.Load(SyntheticQwen3.Get("f32"), null, new EngineOptions { Threads = 2 }))
        {
            gguf = engine.PromptLogits(Prompt);
        }

        var same = HfLogits("same");
        Assert.True(MaxDiff(gguf, same) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(gguf, same)}");

        // Halving the first half of one layer's head-norm weight: a forward pass that ignored it (or normed the
        // whole Q/K vector with a different weight) would give the unchanged logits.
        static Func<string, float[], float[]> Halve(string tensor) => (name, data) =>
            name == tensor ? data.Select((v, i) => i < data.Length / 2 ? v * 0.5f : v).ToArray() : data;
        var q = HfLogits("q", Halve("blk.1.attn_q_norm.weight"));
        var k = HfLogits("k", Halve("blk.2.attn_k_norm.weight"));
        Assert.True(MaxDiff(gguf, q) > 1e-2f, $"scaling attn_q_norm moved the logits by only {MaxDiff(gguf, q)}");
        Assert.True(MaxDiff(gguf, k) > 1e-2f, $"scaling attn_k_norm moved the logits by only {MaxDiff(gguf, k)}");
    }
}
