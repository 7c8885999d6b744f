using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// stories260K re-written as Hugging Face folders (half-split RoPE, F32/F16/BF16, sharded, Qwen2 with biases)
/// must still produce the golden greedy tokens: this covers safetensors, the name mapping, the HF RoPE layout
/// and the bias path end to end.
/// </summary>
public sealed class HfFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-hf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("F32", 1, "llama")]
    [InlineData("F16", 1, "llama")]
    [InlineData("BF16", 1, "llama")]
    [InlineData("F32", 3, "llama")]
    [InlineData("F32", 1, "qwen2")]
    public void Converted_stories260K_reproduces_the_golden_ids(string dtype, int shards, string modelType)
    {
        string folder = Path.Combine(_dir, $"{dtype}-{shards}-{modelType}");
        using (var source = ModelLoader.Load(TestPaths.Model("stories260K.bin")))
        {
            HfCheckpointWriter.Write(source, folder, dtype, shards, modelType);
        }

        using var engine = InferenceEngine.Load(folder, TestPaths.Model("tok512.bin"), new EngineOptions { Threads = 2 });
        Assert.Equal("safetensors", engine.Model.Format);
        Assert.Equal(Models.RopeLayout.HalfSplit, engine.Config.RopeLayout);
        Assert.Equal(modelType == "qwen2", engine.Config.AttentionBias);
        var r = engine.Generate(new GenerationRequest { Sampling = new SamplingParams { Temperature = 0, MaxTokens = 60 } });
        // BF16 keeps only 8 bits of mantissa: require the first 20 tokens there, all 60 otherwise.
        int n = dtype == "BF16" ? 20 : 60;
        Assert.Equal(GoldenTests.Golden60.Take(n), r.TokenIds.Take(n));
    }
}
