using System.CommandLine;
using System.Text.Json;
using CyLlm.Models;
using CyLlm.Models.Gguf;
using CyLlm.Tensors.Threading;
using CyLlm.Training;
using CyLlm.Training.Data;
using CyLlm.Training.Export;
using CyLlm.Training.Lora;
using CyLlm.Training.Model;
using Spectre.Console;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm train`: LoRA (default), full-parameter or from-scratch training on a dataset file, with checkpoints in
/// OUTPUT/checkpoints, resume, validation and early stopping. Writes the adapter (PEFT folder + GGUF LoRA) or the full
/// model (GGUF) and OUTPUT/result.json (loss curve, stop reason). Progress: a Spectre.Console bar on a terminal, one
/// line per report when the output is redirected.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "base model (GGUF, llama2.c .bin, HF folder, hf:OWNER/REPO[:FILE_OR_QUANT]); with --from-scratch only its tokenizer is used", Required = true };
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var chatTemplate = CommonOptions.ChatTemplate();
        var data = new Option<string?>("--data") { Description = "training data: JSONL/JSON/CSV/Parquet (text, prompt/completion or chat messages)" };
        var validation = new Option<string?>("--validation") { Description = "validation data (same formats)" };
        var output = new Option<string?>("--output", "-o") { Description = "output folder (checkpoints, adapter or model, result.json)" };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank", DefaultValueFactory = _ => 8 };
        var alpha = new Option<float>("--lora-alpha") { Description = "LoRA alpha (scale = alpha / rank)", DefaultValueFactory = _ => 16f };
        var dropout = new Option<float>("--lora-dropout") { Description = "dropout on the LoRA input", DefaultValueFactory = _ => 0.05f };
        var targets = new Option<string>("--lora-targets") { Description = "projections to adapt: q,k,v,o,gate,up,down or all", DefaultValueFactory = _ => "q,k,v,o" };
        var full = new Option<bool>("--full") { Description = "train every parameter instead of a LoRA adapter" };
        var scratch = new Option<string?>("--from-scratch") { Description = "JSON model config: train a new model from random weights (implies --full)" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 4 };
        var accum = new Option<int>("--grad-accum") { Description = "micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var lr = new Option<float>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 2e-4f };
        var warmup = new Option<int>("--warmup") { Description = "warm-up steps", DefaultValueFactory = _ => 0 };
        var decay = new Option<float>("--weight-decay") { DefaultValueFactory = _ => 0f };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1 };
        var maxLen = new Option<int>("--max-seq-len") { Description = "truncate examples to this many tokens", DefaultValueFactory = _ => 512 };
        var maxSteps = new Option<long>("--max-steps") { Description = "stop after this many steps (0 = epochs decide)", DefaultValueFactory = _ => 0 };
        var ckEvery = new Option<int>("--checkpoint-every") { Description = "checkpoint every N steps (0 = only at the end)", DefaultValueFactory = _ => 100 };
        var keep = new Option<int>("--keep-checkpoints") { DefaultValueFactory = _ => 2 };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest valid checkpoint in OUTPUT/checkpoints" };
        var evalEvery = new Option<int>("--eval-every") { Description = "validate every N steps (0 = each epoch)", DefaultValueFactory = _ => 0 };
        var patience = new Option<int>("--patience") { Description = "early stopping patience in evaluations (0 = off)", DefaultValueFactory = _ => 0 };
        var minDelta = new Option<float>("--min-delta") { Description = "early stopping: improvement needed", DefaultValueFactory = _ => 0f };
        var f16 = new Option<bool>("--f16") { Description = "export full models in F16 (default F32)" };
        var bench = new Option<bool>("--bench") { Description = "benchmark: time --max-steps steps on random tokens (--batch-size × --max-seq-len) vs forward passes; print JSON" };
        var cmd = new Command("train", "fine-tune (LoRA or full) or train a model from scratch on the CPU")
        {
            model, tokenizer, threads, chatTemplate, data, validation, output, rank, alpha, dropout, targets, full, scratch, epochs, batch, accum, lr, warmup,
            decay, seed, maxLen, maxSteps, ckEvery, keep, resume, evalEvery, patience, minDelta, f16, bench,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string? scratchPath = parse.GetValue(scratch);
            bool isFull = parse.GetValue(full) || scratchPath is not null;
            if (parse.GetValue(bench))
            {
                return Bench(ModelSource.Resolve(parse.GetValue(model)), parse.GetValue(tokenizer), scratchPath, parse.GetValue(threads), isFull,
                    new LoraSettings(parse.GetValue(rank), parse.GetValue(alpha), 0f, LoraSettings.ParseTargets(parse.GetValue(targets)!)),
                    parse.GetValue(batch), parse.GetValue(maxLen), (int)Math.Max(1, parse.GetValue(maxSteps)));
            }

            string outDir = parse.GetValue(output) ?? throw new ArgumentException("--output is required");
            _ = parse.GetValue(data) ?? throw new ArgumentException("--data is required");
            var config = new TrainingConfig
            {
                Lora = isFull ? null : new LoraSettings(parse.GetValue(rank), parse.GetValue(alpha), parse.GetValue(dropout), LoraSettings.ParseTargets(parse.GetValue(targets)!)),
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                GradientAccumulation = parse.GetValue(accum),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                WeightDecay = parse.GetValue(decay),
                Seed = parse.GetValue(seed),
                MaxSequenceLength = parse.GetValue(maxLen),
                MaxSteps = parse.GetValue(maxSteps),
                CheckpointDirectory = Path.Combine(outDir, "checkpoints"),
                CheckpointEvery = parse.GetValue(ckEvery),
                KeepCheckpoints = parse.GetValue(keep),
                Resume = parse.GetValue(resume),
                EvalEvery = parse.GetValue(evalEvery),
                EarlyStoppingPatience = parse.GetValue(patience),
                EarlyStoppingMinDelta = parse.GetValue(minDelta),
            };
            config.Validate();
            foreach (var f in new[] { parse.GetValue(data), parse.GetValue(validation) })
            {
                if (f is not null && !File.Exists(f))
                {
                    throw new FileNotFoundException($"data file not found: {f}");
                }
            }

            if (scratchPath is not null && !File.Exists(scratchPath))
            {
                throw new FileNotFoundException($"model config not found: {scratchPath}");
            }

            string? templateOverride = ChatTemplateOption.Resolve(parse.GetValue(chatTemplate));
            Directory.CreateDirectory(outDir);
            string modelPath = ModelSource.Resolve(parse.GetValue(model));
            using var loaded = ModelLoader.Load(modelPath, parse.GetValue(tokenizer));
            var tok = loaded.Tokenizer ?? throw new ArgumentException($"{modelPath} has no tokenizer; pass --tokenizer");
            int threadCount = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount;
            using var pool = new WorkerPool(threadCount);
            var trainModel = scratchPath is not null
                ? LlamaTrainingModel.FromScratch(ScratchModelConfig.Load(scratchPath).ToModelConfig(tok.Tokens.Count), config.Seed, pool)
                : LlamaTrainingModel.FromLoaded(loaded, pool);
            int seqLen = Math.Min(config.MaxSequenceLength, trainModel.Config.ContextLength);
            var renderer = TrainingRenderer.Create(tok, CyLlm.Engine.InferenceEngine.ChatTemplateHint(trainModel.Config.Architecture), templateOverride);
            var train = ReadAll(parse.GetValue(data)!, renderer, seqLen);
            var val = parse.GetValue(validation) is { } vp ? ReadAll(vp, renderer, seqLen) : null;
            if (train.Count == 0)
            {
                throw new ArgumentException($"{parse.GetValue(data)} has no usable training rows (validate it first)");
            }

            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // finish the step, checkpoint, then exit
                cts.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            TrainingResult result;
            try
            {
                result = Run(new Trainer(config), trainModel, train, val, cts.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }

            foreach (var skippedCheckpoint in result.SkippedCheckpoints)
            {
                Console.WriteLine($"skipped checkpoint {skippedCheckpoint}");
            }

            if (result.ResumedFromStep > 0)
            {
                Console.WriteLine($"resumed from step {result.ResumedFromStep}");
            }

            var outputs = Export(trainModel, config, outDir, loaded, modelPath, parse.GetValue(f16));
            var summary = new
            {
                stop_reason = result.StopReason.ToString().ToLowerInvariant(),
                steps = result.Steps,
                total_steps = result.TotalSteps,
                resumed_from_step = result.ResumedFromStep,
                skipped_checkpoints = result.SkippedCheckpoints,
                final_loss = result.Losses.Count > 0 ? result.Losses[^1] : (double?)null,
                best_validation_loss = result.BestValidationLoss,
                tokens_per_second = Math.Round(result.TokensPerSecond, 1),
                trainable_parameters = trainModel.ParameterCount(trainableOnly: true),
                losses = result.Losses,
                validation_losses = result.ValidationLosses.Select(v => new { step = v.Step, loss = v.Loss }),
                checkpoint = result.LastCheckpoint,
                outputs,
            };
            File.WriteAllText(Path.Combine(outDir, "result.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"{summary.stop_reason}: {result.Steps}/{result.TotalSteps} steps, final loss {summary.final_loss:F4}; wrote {string.Join(", ", outputs)}");
            return 0;
        }));
        return cmd;
    }

    private static int Bench(string modelPath, string? tokenizer, string? scratchPath, int threads, bool full, LoraSettings lora, int batch, int seqLen, int steps)
    {
        using var loaded = ModelLoader.Load(modelPath, tokenizer);
        using var pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
        var m = scratchPath is null ? LlamaTrainingModel.FromLoaded(loaded, pool)
            : LlamaTrainingModel.FromScratch(ScratchModelConfig.Load(scratchPath).ToModelConfig(loaded.Tokenizer?.Tokens.Count ?? 0), 1, pool);
        var r = TrainingBenchmark.Run(m, full ? null : lora, batch, Math.Min(seqLen, m.Config.ContextLength), steps);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            kind = "train",
            model = scratchPath is null ? Path.GetFileName(modelPath) : $"scratch:{Path.GetFileName(scratchPath)}",
            mode = r.Mode,
            threads = pool.ThreadCount,
            batch_size = r.BatchSize,
            seq_len = r.SequenceLength,
            steps = r.Steps,
            trainable_parameters = r.TrainableParameters,
            total_parameters = r.TotalParameters,
            train_tokens_per_second = Math.Round(r.TrainTokensPerSecond, 1),
            forward_tokens_per_second = Math.Round(r.ForwardTokensPerSecond, 1),
            step_over_forward = Math.Round(r.StepOverForward, 2),
            train_cpu_seconds = Math.Round(r.TrainCpuSeconds, 3),
            forward_cpu_seconds = Math.Round(r.ForwardCpuSeconds, 3),
            step_over_forward_cpu = Math.Round(r.TrainCpuSeconds / r.ForwardCpuSeconds, 2),
            peak_rss_bytes = r.PeakRssBytes,
        }));
        return 0;
    }

    private static List<TrainingExample> ReadAll(string path, TrainingRenderer renderer, int maxLen)
    {
        var reader = new DatasetReader(path, renderer, new DatasetReaderOptions { MaxSequenceLength = Math.Max(2, maxLen) });
        reader.Prepare();
        return reader.ReadEpoch(DatasetPosition.Start).ToList();
    }

    private static TrainingResult Run(Trainer trainer, LlamaTrainingModel model, List<TrainingExample> train, List<TrainingExample>? val, CancellationToken ct)
    {
        if (Console.IsOutputRedirected)
        {
            var lines = new LineProgress();
            return trainer.Train(model, train, val, lines, ct);
        }

        TrainingResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: 1);
                result = trainer.Train(model, train, val, new BarProgress(task), ct);
            });
        return result!;
    }

    private static List<string> Export(LlamaTrainingModel model, TrainingConfig config, string outDir, LoadedModel baseModel, string modelPath, bool f16)
    {
        var written = new List<string>();
        if (config.Lora is not null)
        {
            string peft = Path.Combine(outDir, "adapter");
            AdapterExporter.WritePeft(model, peft, Path.GetFileName(modelPath));
            string gguf = Path.Combine(outDir, "adapter.gguf");
            AdapterExporter.WriteGguf(model, gguf);
            written.Add(peft);
            written.Add(gguf);
            return written;
        }

        IReadOnlyDictionary<string, object>? meta = null;
        if (baseModel.Format == "gguf")
        {
            using var raw = GgufRawFile.Open(modelPath);
            meta = raw.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }

        string path = Path.Combine(outDir, "model.gguf");
        ModelExporter.WriteGguf(model, path, meta, f16);
        written.Add(path);
        return written;
    }

    /// <summary>One line per report: "step 3/20 epoch 1 loss 2.3456 lr 1.0e-003 tok/s 1234 eta 00:00:12".</summary>
    private sealed class LineProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => Console.WriteLine(
            $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:E2} tok/s {p.TokensPerSecond:F0} samples/s {p.SamplesPerSecond:F1} eta {p.Eta:hh\\:mm\\:ss}"
            + (p.ValidationLoss is { } v ? $" val {v:F4}" : ""));
    }

    private sealed class BarProgress(ProgressTask task) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            task.MaxValue = p.TotalSteps;
            task.Value = p.Step;
            task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s"
                + (p.ValidationLoss is { } v ? $" val {v:F4}" : "");
        }
    }
}
