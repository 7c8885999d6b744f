using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The synthetic Phi-3 GGUFs re-written as Hugging Face folders (model_type "phi3", self_attn.qkv_proj and
/// mlp.gate_up_proj, rope_scaling "longrope" with long_factor / short_factor and original_max_position_embeddings):
/// the safetensors path runs the same model as the GGUF at both context sizes (short and long factors), and the
/// attention factor the loader derives equals the one llama.cpp's converter wrote.
/// </summary>
public sealed class Phi3HfTests : IDisposable
{
    private static readonly int[] Prompt = [1, 9038, 2501, 263, 931];
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-phi3-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [SkippableTheory]
    [InlineData("phi3", 256)]
    [InlineData("phi3", 512)]
    [InlineData("phi4", 256)]
    public void The_hf_folder_gives_the_gguf_logits(string variant, int context)
    {
        string gguf = SyntheticPhi3.Get(variant, "f32");
        float[] expected;
        ModelConfig ggufConfig;
        using (var engine = InferenceEngine.Load(gguf, null, new EngineOptions { Threads = 2, ContextTokens = context }))
        {
            expected = engine.PromptLogits(Prompt);
            ggufConfig = engine.Config;
        }

        string folder = Path.Combine(_dir, $"{variant}-{context}");
        using (var source = ModelLoader.Load(gguf))
        {
            HfCheckpointWriter.Write(source, folder, "F32", modelType: "phi3");
        }

        using var hf = InferenceEngine.Load(folder, gguf, new EngineOptions { Threads = 2, ContextTokens = context });
        Assert.Equal("safetensors", hf.Model.Format);
        Assert.Equal(ModelArchitecture.Phi3, hf.Config.Architecture);
        Assert.True(hf.Config.FusedQkv && hf.Config.FusedGateUp);
        Assert.Equal(ggufConfig.RopeAttentionFactor, hf.Config.RopeAttentionFactor, 5);
        Assert.Equal(variant == "phi3", hf.Config.LongRopeFactors is not null);
        var actual = hf.PromptLogits(Prompt);
        Assert.True(MaxDiff(expected, actual) < 1e-4f, $"HF vs GGUF logits differ by {MaxDiff(expected, actual)}");
    }
}
