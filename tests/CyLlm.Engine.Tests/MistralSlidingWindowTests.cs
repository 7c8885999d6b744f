using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Mistral's sliding window (config.json model_type "mistral", sliding_window W) as a read bound on every layer: the
/// Llama-2 test model re-written as a Mistral folder with W = 6 gives the unwindowed model's logits while the sequence
/// fits the window and different ones past it; greedy decoding of a prompt twice the window's length gives the same
/// ids from the single-stream session (one prefill batch) and from the serving engine (prefill in chunks of 3 over
/// blocks of 4 tokens, so windows start inside blocks).
/// </summary>
public sealed class MistralSlidingWindowTests : IDisposable
{
    private const int Window = 6;
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-mistral-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Folder(string name, int? window)
    {
        string folder = Path.Combine(_dir, name);
        using var source = ModelLoader.Load(TestPaths.Model("llama-2-tiny-random.gguf"));
        HfCheckpointWriter.Write(source, folder, "F32", modelType: "mistral", extraConfig: new Dictionary<string, object?> { ["sliding_window"] = window });
        return folder;
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void The_window_bounds_attention_only_past_its_length()
    {
        string gguf = TestPaths.Model("llama-2-tiny-random.gguf");
        using var windowed = InferenceEngine.Load(Folder("w", Window), gguf, new EngineOptions { Threads = 2, ContextTokens = 64 });
        using var global = InferenceEngine.Load(Folder("g", null), gguf, new EngineOptions { Threads = 2, ContextTokens = 64 });
        Assert.Equal(Window, windowed.Config.SlidingWindow);
        Assert.True(Enumerable.Range(0, windowed.Config.Layers).All(windowed.Config.IsLocalLayer));
        Assert.Equal(0, global.Config.SlidingWindow);

        int[] prompt = [1, 3118, 263, 931, 727, 471, 263, 2217, 7826, 4257, 29889, 450];
        var shortPrompt = prompt.Take(Window).ToArray();
        Assert.True(MaxDiff(global.PromptLogits(shortPrompt), windowed.PromptLogits(shortPrompt)) < 1e-5f);
        Assert.True(MaxDiff(global.PromptLogits(prompt), windowed.PromptLogits(prompt)) > 1e-3f, "the window did not change attention past its length");
    }

    [Fact]
    public async Task Batched_stepwise_and_served_windowed_runs_agree()
    {
        string gguf = TestPaths.Model("llama-2-tiny-random.gguf");
        using var engine = InferenceEngine.Load(Folder("w", Window), gguf, new EngineOptions { Threads = 2, ContextTokens = 64 });
        int[] prompt = [1, 3118, 263, 931, 727, 471, 263, 2217, 7826, 4257, 29889, 450];
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 12, IgnoreEos = true };
        var alone = engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = sampling }).TokenIds;
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 4 << 20, TokenBudget = 3, BlockTokens = 4, KvType = KvCacheType.F32 });
        var served = await serving.GenerateAsync(new ServingRequest(prompt, sampling));
        Assert.Equal(alone, served.TokenIds);
    }
}
