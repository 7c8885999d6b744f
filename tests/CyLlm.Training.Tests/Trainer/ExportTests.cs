using CyLlm.Engine;
using CyLlm.Engine.Lora;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models.Gguf;
using CyLlm.Training.Export;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>
/// Exported adapters and models load in CyLlm's own loaders: PEFT and GGUF LoRA through <see cref="LoraAdapter"/>
/// (same tensors, same logits when applied), the merged model as GGUF through the inference engine (same logits as
/// the trainer, and it generates the memorized sentence), and the engine's LoRA path agrees with the merged weights.
/// </summary>
public sealed class ExportTests
{
    private static readonly LoraSettings Settings = new(4, 8f, 0f, [LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O, LoraTarget.Gate, LoraTarget.Up, LoraTarget.Down]);

    private static (LlamaTrainingModel Trained, InferenceEngine Base, int[] Tokens) TrainedAdapter()
    {
        var (model, ex, engine) = TrainerTests.Stories();
        new CyLlm.Training.Trainer(new TrainingConfig { Lora = Settings, Epochs = 40, BatchSize = 1, LearningRate = 1e-2f, Seed = 5 }).Train(model, [ex]);
        return (model, engine, ex.Tokens);
    }

    private static void AssertClose(float[] expected, float[] actual, float tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void Peft_And_GgufLora_LoadInTheEngineLoader_WithTheSameLogits()
    {
        var (trained, engine, tokens) = TrainedAdapter();
        using var _ = engine;
        string dir = TrainTestPaths.TempDir("export-lora");
        try
        {
            float[] expected = trained.Logits(tokens);
            string peft = Path.Combine(dir, "peft");
            string gguf = Path.Combine(dir, "adapter.gguf");
            AdapterExporter.WritePeft(trained, peft, "stories260K");
            AdapterExporter.WriteGguf(trained, gguf);
            Assert.True(File.Exists(Path.Combine(peft, "adapter_config.json")));
            using (var raw = GgufRawFile.Open(gguf))
            {
                Assert.Equal("adapter", raw.Metadata["general.type"]);
                Assert.Equal("lora", raw.Metadata["adapter.type"]);
                Assert.Contains("blk.0.attn_q.weight.lora_a", raw.Tensors.Keys);
            }

            foreach (string path in new[] { peft, gguf })
            {
                var loaded = LoraAdapter.Load("a", path, engine.Config);
                Assert.Equal(Settings.Alpha / Settings.Rank, loaded.Scale);
                Assert.Equal(engine.Config.Layers * Settings.Targets.Count, loaded.Count);

                // Apply the loaded weights to a fresh copy of the base model: identical logits.
                var fresh = LlamaTrainingModel.FromLoaded(engine.Model, TinyModels.Pool);
                fresh.AttachLora(Settings, 999);
                for (int l = 0; l < engine.Config.Layers; l++)
                {
                    foreach (var t in Settings.Targets)
                    {
                        var w = loaded.Get(l, t)!;
                        var lo = fresh.Linear(l, t).Lora!;
                        Assert.Equal(trained.Linear(l, t).Lora!.A.Data, w.A);
                        Assert.Equal(trained.Linear(l, t).Lora!.B.Data, w.B);
                        w.A.CopyTo(lo.A.Data, 0);
                        w.B.CopyTo(lo.B.Data, 0);
                    }
                }

                fresh.MarkParametersChanged();
                Assert.Equal(expected, fresh.Logits(tokens));
            }

            // Merged weights give the adapted logits.
            trained.MergeLora();
            AssertClose(expected, trained.Logits(tokens), 1e-4f, "merged");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task MergedGguf_LoadsAndGenerates_AndTheEngineLoraPathAgrees()
    {
        var (trained, engine, tokens) = TrainedAdapter();
        using var _ = engine;
        string dir = TrainTestPaths.TempDir("export-full");
        try
        {
            string adapterPath = Path.Combine(dir, "adapter.gguf");
            AdapterExporter.WriteGguf(trained, adapterPath);
            trained.MergeLora();
            float[] logits = trained.Logits(tokens);
            int vocab = engine.Config.VocabSize;
            using var raw = GgufRawFile.Open(TrainTestPaths.SharedModel("stories260K.gguf"));
            foreach (bool f16 in new[] { false, true })
            {
                string path = Path.Combine(dir, f16 ? "merged-f16.gguf" : "merged-f32.gguf");
                ModelExporter.WriteGguf(trained, path, raw.Metadata, f16);
                using var merged = InferenceEngine.Load(path, options: new EngineOptions { Threads = 2 });
                Assert.Equal(engine.Config with { Name = merged.Config.Name }, merged.Config);
                float[] last = merged.PromptLogits(tokens);
                AssertClose(logits[^vocab..], last, f16 ? 5e-2f : 1e-3f, f16 ? "f16" : "f32");

                // The memorized sentence comes back from its first five tokens.
                var gen = merged.Generate(new Engine.Generation.GenerationRequest
                {
                    PromptTokens = tokens[..5],
                    Sampling = new SamplingParams { Temperature = 0, MaxTokens = tokens.Length - 5 },
                });
                if (!f16)
                {
                    Assert.Equal(tokens[5..], gen.TokenIds[..(tokens.Length - 5)]);
                }
                else
                {
                    Assert.NotEmpty(gen.TokenIds);
                }
            }

            // The engine's own LoRA path (base + adapter file) generates what the merged model does.
            using var serving = new ServingEngine(engine);
            serving.LoadAdapter("memo", adapterPath);
            var viaAdapter = await serving.GenerateAsync(new ServingRequest(tokens[..5], new SamplingParams { Temperature = 0, MaxTokens = tokens.Length - 5 }) { Adapter = "memo" });
            Assert.Equal(tokens[5..], viaAdapter.TokenIds[..(tokens.Length - 5)]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task An_output_head_LoRA_exports_loads_and_is_applied_by_the_engine()
    {
        // Head only: whatever the engine generates differently from the base model comes from the output-head update.
        var head = new LoraSettings(4, 8f, 0f, [LoraTarget.Output]);
        var (model, ex, engine) = TrainerTests.Stories();
        using var _ = engine;
        new CyLlm.Training.Trainer(new TrainingConfig { Lora = head, Epochs = 40, BatchSize = 1, LearningRate = 1e-2f, Seed = 5 }).Train(model, [ex]);
        Assert.NotNull(model.Head.Lora);
        Assert.Equal(2, model.TrainableParameters().Count);
        string dir = TrainTestPaths.TempDir("export-head");
        try
        {
            string gguf = Path.Combine(dir, "adapter.gguf");
            string peft = Path.Combine(dir, "peft");
            AdapterExporter.WriteGguf(model, gguf);
            AdapterExporter.WritePeft(model, peft, "stories260K");
            using (var raw = GgufRawFile.Open(gguf))
            {
                Assert.Contains("output.weight.lora_a", raw.Tensors.Keys);
                Assert.DoesNotContain(raw.Tensors.Keys, k => k.StartsWith("blk.", StringComparison.Ordinal));
            }

            Assert.Contains("\"lm_head\"", File.ReadAllText(Path.Combine(peft, "adapter_config.json")), StringComparison.Ordinal);
            foreach (string path in new[] { gguf, peft })
            {
                var loaded = LoraAdapter.Load("h", path, engine.Config);
                Assert.Equal(1, loaded.Count);
                Assert.Equal(model.Head.Lora!.A.Data, loaded.Output!.A);
                Assert.Equal(model.Head.Lora!.B.Data, loaded.Output!.B);
            }

            // The trainer's greedy continuation of the first five tokens, step by step from its own logits.
            int vocab = engine.Config.VocabSize, steps = 12;
            var seq = ex.Tokens[..5].ToList();
            for (int s = 0; s < steps; s++)
            {
                float[] logits = model.Logits([.. seq]);
                seq.Add(Array.IndexOf(logits, logits.AsSpan(logits.Length - vocab).ToArray().Max(), logits.Length - vocab) - (logits.Length - vocab));
            }

            using var serving = new ServingEngine(engine);
            serving.LoadAdapter("head", gguf);
            var request = new ServingRequest(ex.Tokens[..5], new SamplingParams { Temperature = 0, MaxTokens = steps });
            var adapted = await serving.GenerateAsync(request with { Adapter = "head" });
            var plain = await serving.GenerateAsync(request);
            Assert.Equal(seq[5..], adapted.TokenIds);
            Assert.NotEqual(adapted.TokenIds, plain.TokenIds);

            // Merged into the (untied) head, the update gives the adapted logits.
            float[] expected = model.Logits(ex.Tokens);
            Assert.NotNull(model.Output);
            model.MergeLora();
            Assert.Null(model.Head.Lora);
            AssertClose(expected, model.Logits(ex.Tokens), 1e-4f, "merged head");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_head_LoRA_is_not_merged_into_a_head_tied_to_the_embeddings()
    {
        // Folding the update into a tied head would change every input embedding as well.
        var m = TinyModels.Model(tied: true);
        m.AttachLora(new LoraSettings(2, 4f, 0f, [LoraTarget.Q, LoraTarget.Output]), 7);
        var e = Assert.Throws<NotSupportedException>(m.MergeLora);
        Assert.Contains("tied", e.Message, StringComparison.Ordinal);
        Assert.NotNull(m.Head.Lora);
        Assert.NotNull(m.Linear(0, LoraTarget.Q).Lora); // nothing was half-merged
    }
}
