using CyLlm.Jobs.Files;
using CyLlm.Models;
using CyLlm.Models.Gguf;
using CyLlm.Tensors.Threading;
using CyLlm.Tokenizers;
using CyLlm.Training.Data;
using CyLlm.Training.Export;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.FineTuning;

/// <summary>
/// The built-in executor: validates the job's files with <see cref="DatasetValidator"/> against the base model's
/// tokenizer and chat template, trains with <see cref="Trainer"/> (LoRA or full) on a private F32 copy of the base
/// weights, checkpoints into the job's folder (resuming from the newest valid one), and exports a PEFT adapter (also
/// as a GGUF LoRA) or a GGUF model. Training runs on its own worker pool so the serving engine keeps its threads.
/// The job's <see cref="FineTuneJobSpec.BaseModelPath"/> picks the base model; <c>baseModelPath</c> (the
/// server's default model) trains jobs that name none.
/// </summary>
public sealed class TrainerFineTuneExecutor(string baseModelPath, string? tokenizerPath, int threads, TimeProvider? time = null) : IFineTuneExecutor
{
    /// <summary>Base learning rates before OpenAI's multiplier: adapters tolerate larger steps than full weights.</summary>
    public const float LoraLearningRate = 2e-3f;
    public const float FullLearningRate = 2e-4f;

    /// <summary>Longest training sequence; longer rows are truncated (and counted by validation).</summary>
    public int MaxSequenceLength { get; init; } = 512;

    /// <summary>The served model's <c>--chat-template</c> (a built-in name or Jinja source), so the adapter learns the prompts it is served with; null: the model's own.</summary>
    public string? ChatTemplate { get; init; }

    public Task<string> ValidateAsync(FineTuneRun run, CancellationToken ct) => Task.Run(() =>
    {
        // Loading maps the file without reading the weights: cheap even for large models.
        string basePath = BasePathOf(run.Spec);
        using var loaded = ModelLoader.Load(basePath, tokenizerPath);
        var tokData = loaded.Tokenizer ?? throw new FineTuneDataException("invalid_model", $"{basePath} has no tokenizer");
        var renderer = TrainingRenderer.Create(tokData, Engine.InferenceEngine.ChatTemplateHint(loaded.Config.Architecture), ChatTemplate);
        var options = new DatasetValidationOptions { MaxSequenceLength = MaxSequenceLength };
        var train = Check(DatasetValidator.ValidateFile(run.Spec.TrainingFilePath, renderer, options, ct), "invalid_training_file", "training_file");
        string summary = $"training file: {train.ValidRows} rows, {train.Tokens} tokens ({train.LossTokens} trained), {train.TruncatedRows} truncated";
        if (run.Spec.ValidationFilePath is { } vp)
        {
            var val = Check(DatasetValidator.ValidateFile(vp, renderer, options, ct), "invalid_validation_file", "validation_file");
            summary += $"; validation file: {val.ValidRows} rows, {val.Tokens} tokens";
        }

        return summary;
    }, ct);

    public Task<FineTuneOutcome> RunAsync(FineTuneRun run, IFineTuneCallbacks callbacks, CancellationToken ct) =>
        Task.Factory.StartNew(() => Run(run, callbacks, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private FineTuneOutcome Run(FineTuneRun run, IFineTuneCallbacks callbacks, CancellationToken ct)
    {
        var spec = run.Spec;
        string basePath = BasePathOf(spec);
        using var loaded = ModelLoader.Load(basePath, tokenizerPath);
        var tokData = loaded.Tokenizer ?? throw new FineTuneDataException("invalid_model", $"{basePath} has no tokenizer");
        using var pool = new WorkerPool(Math.Max(1, threads));
        var model = LlamaTrainingModel.FromLoaded(loaded, pool);
        int seqLen = Math.Min(MaxSequenceLength, model.Config.ContextLength);
        var renderer = TrainingRenderer.Create(tokData, Engine.InferenceEngine.ChatTemplateHint(model.Config.Architecture), ChatTemplate);
        var train = ReadAll(spec.TrainingFilePath, renderer, seqLen, ct);
        var val = spec.ValidationFilePath is { } vp ? ReadAll(vp, renderer, seqLen, ct) : null;
        if (train.Count == 0)
        {
            throw new FineTuneDataException("invalid_training_file", "the training file has no usable rows");
        }

        var config = ToConfig(spec, train.Count, Path.Combine(run.WorkDirectory, "checkpoints"), seqLen);
        var result = new Trainer(config, time).Train(model, train, val, new ProgressBridge(callbacks), ct);
        if (result.StopReason == TrainingStopReason.Cancelled)
        {
            throw new OperationCanceledException("training cancelled after a checkpoint", ct);
        }

        string outDir = Path.Combine(run.WorkDirectory, "output");
        Directory.CreateDirectory(outDir);
        string modelPath;
        if (config.Lora is not null)
        {
            modelPath = Path.Combine(outDir, "adapter");
            AdapterExporter.WritePeft(model, modelPath, Path.GetFileName(basePath));
            AdapterExporter.WriteGguf(model, Path.Combine(outDir, "adapter.gguf"));
        }
        else
        {
            modelPath = Path.Combine(outDir, "model.gguf");
            IReadOnlyDictionary<string, object>? meta = null;
            if (loaded.Format == "gguf")
            {
                using var raw = GgufRawFile.Open(basePath);
                meta = raw.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            }

            ModelExporter.WriteGguf(model, modelPath, meta);
        }

        string reason = result.StopReason == TrainingStopReason.EarlyStopping ? "early_stopping" : "completed";
        return new FineTuneOutcome(modelPath, config.Lora is not null, result.TrainedTokens, reason, result.Losses.Count > 0 ? result.Losses[^1] : null, result.BestValidationLoss);
    }

    /// <summary>The job's base model file: the one it was created for, else (jobs stored before that) the default.</summary>
    public string BasePathOf(FineTuneJobSpec spec) => spec.BaseModelPath ?? baseModelPath;

    /// <summary>The trainer's settings for a job: OpenAI's "auto" values resolved from the dataset size.</summary>
    public static TrainingConfig ToConfig(FineTuneJobSpec spec, int examples, string checkpointDirectory, int maxSequenceLength)
    {
        int batch = spec.BatchSize ?? Math.Clamp(examples / 32, 1, 8);
        int epochs = spec.NEpochs ?? Math.Clamp((int)Math.Ceiling(200.0 / Math.Max(1, examples)), 1, 10);
        float baseLr = spec.IsLora ? LoraLearningRate : FullLearningRate;
        var lora = spec.IsLora
            ? new LoraSettings(spec.LoraRank, (float)spec.LoraAlpha, (float)spec.LoraDropout, LoraSettings.ParseTargets(string.Join(',', spec.LoraTargets)))
            : null;
        return new TrainingConfig
        {
            Lora = lora,
            Epochs = epochs,
            BatchSize = batch,
            LearningRate = baseLr * (float)(spec.LearningRateMultiplier ?? 1.0),
            Seed = spec.Seed,
            MaxSequenceLength = maxSequenceLength,
            CheckpointDirectory = checkpointDirectory,
            CheckpointEvery = spec.CheckpointEvery,
            Resume = true,
            EarlyStoppingPatience = spec.EarlyStoppingPatience,
            EarlyStoppingMinDelta = (float)spec.EarlyStoppingMinDelta,
            WarmupSteps = 0,
        };
    }

    private static List<TrainingExample> ReadAll(string path, TrainingRenderer renderer, int maxLen, CancellationToken ct)
    {
        var reader = new DatasetReader(path, renderer, new DatasetReaderOptions { MaxSequenceLength = Math.Max(2, maxLen) });
        reader.Prepare(ct);
        return reader.ReadEpoch(DatasetPosition.Start, ct).ToList();
    }

    private static DatasetValidationReport Check(DatasetValidationReport report, string code, string param)
    {
        if (report.IsValid)
        {
            return report;
        }

        var lines = report.Errors.Take(5).Select(e => e.ToString());
        string more = report.ErrorCount > 5 ? $" (and {report.ErrorCount - 5} more)" : string.Empty;
        string what = report.ValidRows == 0 && report.ErrorCount == 0 ? "no usable rows" : string.Join("; ", lines) + more;
        throw new FineTuneDataException(code, $"{param}: {what}");
    }

    /// <summary>Forwards the trainer's synchronous progress to the job, and each checkpoint the step wrote.</summary>
    private sealed class ProgressBridge(IFineTuneCallbacks callbacks) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            // The trainer calls this from its own thread between steps; blocking here only delays the next step.
            callbacks.ReportAsync(new FineTuneProgress(p.Step, p.TotalSteps, p.Epoch, p.Loss, p.ValidationLoss, p.LearningRate, p.TokensPerSecond, p.SamplesPerSecond, p.Eta), CancellationToken.None)
                .AsTask().GetAwaiter().GetResult();
            if (p.Checkpoint is { } path)
            {
                // Once per checkpoint (not per step): the store records size and hash as evidence the step is done.
                var (size, sha) = AtomicFile.HashFile(path);
                callbacks.CheckpointAsync(new FineTuneCheckpoint(p.Step, path, size, sha, p.Loss, p.ValidationLoss), CancellationToken.None)
                    .AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
