using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Gemma GGUFs re-written as Hugging Face folders (model_type gemma2 / gemma3_text, the four layer
/// norms under their HF names and stored as w for x̂·(1 + w), layer_types or sliding_window_pattern,
/// query_pre_attn_scalar, soft-caps, rope_local_base_freq): the safetensors path runs the same model, so the +1 on
/// HF norm weights, the norm renaming and the config keys are all read as llama.cpp's converter reads them.
/// </summary>
public sealed class GemmaHfTests : IDisposable
{
    private static readonly int[] Prompt = [1, 9038, 2501, 263, 931, 727, 471, 263, 2217, 7826, 29889, 940, 5360, 304, 1708];
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gemma-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [SkippableTheory]
    [InlineData("gemma2", "gemma2", ModelArchitecture.Gemma2)]
    [InlineData("gemma3", "gemma3_text", ModelArchitecture.Gemma3)]
    public void The_hf_folder_gives_the_gguf_logits(string arch, string modelType, ModelArchitecture expected)
    {
        string gguf = SyntheticGemma.Get(arch, "f32");
        float[] reference;
        ModelConfig ggufConfig;
        using (var engine = InferenceEngine.Load(gguf, null, new EngineOptions { Threads = 2 }))
        {
            reference = engine.PromptLogits(Prompt);
            ggufConfig = engine.Config;
        }

        string folder = Path.Combine(_dir, arch);
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", modelType: modelType);
        }

        using var hf = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2 });
        var c = hf.Config;
        Assert.Equal("safetensors", hf.Model.Format);
        Assert.Equal(expected, c.Architecture);
        Assert.Equal(1f, c.NormWeightOffset);
        Assert.Equal(
            (ggufConfig.AttentionScale, ggufConfig.AttentionSoftcap, ggufConfig.FinalLogitSoftcap, ggufConfig.SlidingWindow, ggufConfig.LocalRopeTheta),
            (c.AttentionScale, c.AttentionSoftcap, c.FinalLogitSoftcap, c.SlidingWindow, c.LocalRopeTheta));
        Assert.Equal(Enumerable.Range(0, c.Layers).Select(ggufConfig.IsLocalLayer), Enumerable.Range(0, c.Layers).Select(c.IsLocalLayer));
        var logits = hf.PromptLogits(Prompt);
        Assert.True(MaxDiff(reference, logits) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(reference, logits)}");
    }
}
