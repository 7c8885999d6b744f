using CyLlm.Engine;
using CyLlm.Training.Checkpoints;
using CyLlm.Training.Data;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.Tests.Trainer;

/// <summary>Training runs on stories260K and tiny synthetic models: convergence, determinism, resume, cancellation.</summary>
public sealed class TrainerTests
{
    private const string Sentence = "The purple elephant sang a quiet song to the moon every Tuesday night.";

    internal static (LlamaTrainingModel Model, TrainingExample Example, InferenceEngine Engine) Stories(int threads = 2)
    {
        var engine = InferenceEngine.Load(TrainTestPaths.SharedModel("stories260K.gguf"), options: new EngineOptions { Threads = threads });
        var model = LlamaTrainingModel.FromLoaded(engine.Model, TinyModels.Pool);
        int[] tokens = engine.Encode(Sentence, addBos: true);
        return (model, TinyModels.Example(tokens), engine);
    }

    [Fact]
    public void Lora_MemorizesASentence()
    {
        var (model, ex, engine) = Stories();
        using var _ = engine;
        var trainer = new CyLlm.Training.Trainer(new TrainingConfig
        {
            Lora = new LoraSettings(8, 16f, 0f, LoraSettings.AllTargets),
            Epochs = 60,
            BatchSize = 1,
            LearningRate = 1e-2f,
            WarmupSteps = 5,
            Seed = 11,
        });
        var result = trainer.Train(model, [ex]);
        Assert.Equal(TrainingStopReason.Completed, result.StopReason);
        Assert.Equal(60, result.Losses.Count);
        Assert.True(result.Losses[0] > 1.0, $"the base model should not know the sentence (first loss {result.Losses[0]:F3})");
        Assert.True(result.Losses[^1] < 0.1, $"final loss {result.Losses[^1]:F4}");
        Assert.All(model.AllParameters().Where(p => !p.Name.Contains("lora")), p => Assert.False(p.Trainable));
    }

    [Fact]
    public void Full_FromScratch_LearnsAndIsDeterministic()
    {
        var data = Enumerable.Range(0, 6).Select(i => TinyModels.Example([(i % 3) + 1, 4, 5, 6, 7, (i % 3) + 8])).ToArray();
        TrainingResult Run()
        {
            var m = LlamaTrainingModel.FromScratch(TinyModels.Config(), 5, TinyModels.Pool);
            return new CyLlm.Training.Trainer(new TrainingConfig { Epochs = 30, BatchSize = 2, GradientAccumulation = 2, LearningRate = 3e-2f, WeightDecay = 0.01f, Seed = 9 }).Train(m, data);
        }

        var a = Run();
        var b = Run();
        Assert.Equal(a.Losses, b.Losses);
        Assert.True(a.Losses[^1] < a.Losses[0] * 0.5, $"loss {a.Losses[0]:F3} → {a.Losses[^1]:F3}");

        var m2 = LlamaTrainingModel.FromScratch(TinyModels.Config(), 5, TinyModels.Pool);
        var c = new CyLlm.Training.Trainer(new TrainingConfig { Epochs = 30, BatchSize = 2, GradientAccumulation = 2, LearningRate = 3e-2f, WeightDecay = 0.01f, Seed = 10 }).Train(m2, data);
        Assert.NotEqual(a.Losses, c.Losses);
    }

    [Fact]
    public void Losses_DoNotDependOnTheThreadCount()
    {
        var data = Enumerable.Range(0, 6).Select(i => TinyModels.Example([(i % 3) + 1, 4, 5, 6, 7, (i % 3) + 8, 2, 9])).ToArray();
        var cfg = new TrainingConfig { Lora = new LoraSettings(2, 4f, 0.2f, LoraSettings.AllTargets), Epochs = 5, BatchSize = 3, LearningRate = 2e-2f, Seed = 6 };
        using var one = new CyLlm.Tensors.Threading.WorkerPool(1);
        var a = new CyLlm.Training.Trainer(cfg).Train(LlamaTrainingModel.FromScratch(TinyModels.Config(), 5, one), data);
        var b = new CyLlm.Training.Trainer(cfg).Train(LlamaTrainingModel.FromScratch(TinyModels.Config(), 5, TinyModels.Pool), data);
        Assert.Equal(a.Losses, b.Losses);
    }

    [Fact]
    public void Llama2cAndGgufCopiesOfAModel_GiveTheSameLogits()
    {
        using var bin = CyLlm.Models.ModelLoader.Load(TrainTestPaths.SharedModel("stories260K.bin"), TrainTestPaths.SharedModel("tok512.bin"));
        using var gguf = CyLlm.Models.ModelLoader.Load(TrainTestPaths.SharedModel("stories260K.gguf"));
        int[] tokens = [1, 403, 407, 261, 378, 32, 281];
        var a = LlamaTrainingModel.FromLoaded(bin, TinyModels.Pool).Logits(tokens);
        var b = LlamaTrainingModel.FromLoaded(gguf, TinyModels.Pool).Logits(tokens);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) < 1e-3f, $"logit {i}: {a[i]} vs {b[i]}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Resume_GivesTheSameLossesAsAnUninterruptedRun(bool lora)
    {
        var data = Enumerable.Range(0, 10).Select(i => TinyModels.Example([(i % 5) + 1, 4, 5, (i % 4) + 6, 7, (i % 3) + 8, 2])).ToArray();
        var val = new[] { TinyModels.Example([1, 4, 5, 6, 7, 8]) };
        string dirA = TrainTestPaths.TempDir("resume-a"), dirB = TrainTestPaths.TempDir("resume-b");
        try
        {
            TrainingConfig Cfg(string dir, long maxSteps, bool resume) => new()
            {
                Lora = lora ? new LoraSettings(2, 4f, 0.1f, LoraSettings.AllTargets) : null,
                Epochs = 4,
                BatchSize = 3,
                LearningRate = 2e-2f,
                WarmupSteps = 2,
                WeightDecay = 0.05f,
                Seed = 21,
                CheckpointDirectory = dir,
                CheckpointEvery = 2,
                EvalEvery = 3,
                MaxSteps = maxSteps,
                Resume = resume,
            };

            var full = new CyLlm.Training.Trainer(Cfg(dirA, 0, false)).Train(TinyModels.Model(), data, val);
            Assert.Equal(16, full.Steps);

            // "Crash" after step 7: cancelling there leaves checkpoints 6 and 7; remove 7's marker so resume starts from 6.
            using var cts = new CancellationTokenSource();
            var part = new CyLlm.Training.Trainer(Cfg(dirB, 0, false)).Train(TinyModels.Model(), data, val,
                new SyncProgress(p => { if (p.Step == 6) { cts.Cancel(); } }), cts.Token);
            Assert.Equal(TrainingStopReason.Cancelled, part.StopReason);
            Assert.Equal(7, part.Steps);
            File.Delete(Path.Combine(dirB, CheckpointStore.FileName(7)) + ".ok"); // an unfinished write: no marker
            var resumed = new CyLlm.Training.Trainer(Cfg(dirB, 0, true)).Train(TinyModels.Model(), data, val);
            Assert.Equal(6, resumed.ResumedFromStep);
            Assert.Single(resumed.SkippedCheckpoints);
            Assert.Equal(full.Losses, resumed.Losses);
            Assert.Equal(full.ValidationLosses, resumed.ValidationLosses);
        }
        finally
        {
            Directory.Delete(dirA, true);
            Directory.Delete(dirB, true);
        }
    }

    [Fact]
    public void Cancellation_FinishesTheStepAndKeepsACheckpoint()
    {
        var data = Enumerable.Range(0, 8).Select(i => TinyModels.Example([i + 1, 4, 5, 6])).ToArray();
        string dir = TrainTestPaths.TempDir("cancel");
        try
        {
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgress(p =>
            {
                if (p.Step == 3)
                {
                    cts.Cancel();
                }
            });
            var r = new CyLlm.Training.Trainer(new TrainingConfig { Epochs = 5, BatchSize = 2, Seed = 3, CheckpointDirectory = dir })
                .Train(TinyModels.Model(), data, null, progress, cts.Token);
            Assert.Equal(TrainingStopReason.Cancelled, r.StopReason);
            Assert.Equal(4, r.Steps); // cancelled during step 3's report; step 4 is the first to see it and checkpoints
            var scan = new CheckpointStore(dir).FindLatest();
            Assert.Equal(4, scan.LatestStep);
            Assert.Equal(4, CheckpointStore.ReadState(scan.Latest!).Step);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void EarlyStopping_StopsOnAFlatValidationLoss()
    {
        // The validation example uses tokens the training data never shows in that order: its loss soon stops improving.
        var data = Enumerable.Range(0, 4).Select(i => TinyModels.Example([1, 2, 3, 4, 5])).ToArray();
        var val = new[] { TinyModels.Example([5, 4, 3, 2, 1]) };
        var r = new CyLlm.Training.Trainer(new TrainingConfig
        {
            Epochs = 200,
            BatchSize = 4,
            LearningRate = 5e-2f,
            Seed = 4,
            EvalEvery = 1,
            EarlyStoppingPatience = 3,
            EarlyStoppingMinDelta = 0.01f,
        }).Train(TinyModels.Model(), data, val);
        Assert.Equal(TrainingStopReason.EarlyStopping, r.StopReason);
        Assert.True(r.Steps < 200);
        var es = new EarlyStopping(3, 0.01);
        int stopAt = -1;
        for (int i = 0; i < r.ValidationLosses.Count; i++)
        {
            if (es.Observe(r.ValidationLosses[i].Loss))
            {
                stopAt = i;
                break;
            }
        }

        Assert.Equal(r.ValidationLosses.Count - 1, stopAt);
    }

    [Fact]
    public void Progress_ReportsRatesAndEtaFromTheTimeProvider()
    {
        var time = new StepClock();
        var data = Enumerable.Range(0, 4).Select(i => TinyModels.Example([i + 1, 2, 3])).ToArray();
        var reports = new List<TrainingProgress>();
        new CyLlm.Training.Trainer(new TrainingConfig { Epochs = 3, BatchSize = 2, Seed = 1, ProgressEvery = 2 }, time)
            .Train(TinyModels.Model(), data, null, new SyncProgress(reports.Add));
        Assert.Equal([2L, 4L, 6L], reports.Select(p => p.Step));
        Assert.All(reports, p => Assert.Equal(6, p.TotalSteps));
        Assert.True(reports[0].TokensPerSecond > 0 && reports[0].Eta is not null);
        Assert.Equal(TimeSpan.Zero, reports[^1].Eta);
    }

    /// <summary>IProgress that calls back synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }

    /// <summary>A clock that advances one second every time it is read.</summary>
    private sealed class StepClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, TimeSpan.TicksPerSecond);
    }
}
