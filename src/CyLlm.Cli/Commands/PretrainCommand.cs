using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using CyLlm.Tensors.Threading;
using CyLlm.Tokenizers;
using CyLlm.Training;
using CyLlm.Training.Data;
using CyLlm.Training.Export;
using CyLlm.Training.Model;
using CyLlm.Training.Tokenization;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm pretrain`: trains a SentencePiece BPE tokenizer on the training texts, packs the tokenized data into
/// context-length sequences, trains a Llama model from random weights with <see cref="Trainer"/> (checkpoints in
/// --work-dir, so re-running the same command resumes an interrupted run), measures the validation loss and writes a
/// self-contained GGUF (weights + the trained vocabulary + <see cref="PretrainTokenizerMetadata.ChatTemplate"/>)
/// atomically. Progress lines go to stderr, one JSON summary to stdout.
/// </summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "training texts: JSONL/JSON/CSV/Parquet rows with a \"text\" field", Required = true };
        var validation = new Option<string?>("--validation") { Description = "validation texts (same formats)" };
        var output = new Option<string>("--output", "-o") { Description = "the GGUF to write", Required = true };
        var workDir = new Option<string?>("--work-dir") { Description = "checkpoint folder (default: OUTPUT.work); a re-run resumes from it" };
        var vocab = new Option<int>("--vocab-size") { Description = "tokenizer vocabulary size", DefaultValueFactory = _ => 2048 };
        var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 256 };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 8 };
        var kvHeads = new Option<int>("--kv-heads") { Description = "0 = --heads", DefaultValueFactory = _ => 0 };
        var hidden = new Option<int>("--hidden") { Description = "SwiGLU hidden width", DefaultValueFactory = _ => 688 };
        var context = new Option<int>("--context") { Description = "context length (and packed sequence length)", DefaultValueFactory = _ => 256 };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1 };
        var maxSteps = new Option<long>("--max-steps") { Description = "stop after this many steps (0 = epochs decide)", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "sequences per step", DefaultValueFactory = _ => 8 };
        var lr = new Option<float>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 2e-3f };
        var warmup = new Option<int>("--warmup") { Description = "warm-up steps", DefaultValueFactory = _ => 30 };
        var decay = new Option<float>("--weight-decay") { DefaultValueFactory = _ => 0.1f };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var ckEvery = new Option<int>("--checkpoint-every") { Description = "checkpoint every N steps", DefaultValueFactory = _ => 50 };
        var evalEvery = new Option<int>("--eval-every") { Description = "validate every N steps (0 = each epoch)", DefaultValueFactory = _ => 0 };
        var progressEvery = new Option<int>("--progress-every") { Description = "a progress line every N steps", DefaultValueFactory = _ => 10 };
        var f16 = new Option<bool>("--f16") { Description = "store matrices in F16 (default F32)" };
        var name = new Option<string>("--name") { Description = "general.name of the model", DefaultValueFactory = _ => "cyllm-default" };
        var cmd = new Command("pretrain", "train a tokenizer and a small Llama model from scratch on a text corpus and write a GGUF")
        {
            data, validation, output, workDir, vocab, dim, layers, heads, kvHeads, hidden, context, epochs, maxSteps, batch, lr, warmup, decay,
            seed, threads, ckEvery, evalEvery, progressEvery, f16, name,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            string outPath = Path.GetFullPath(parse.GetValue(output)!);
            string dataPath = parse.GetValue(data)!;
            string? valPath = parse.GetValue(validation);
            foreach (var f in new[] { dataPath, valPath })
            {
                if (f is not null && !File.Exists(f))
                {
                    throw new FileNotFoundException($"data file not found: {f}");
                }
            }

            int ctx = parse.GetValue(context);
            if (ctx < 8)
            {
                throw new ArgumentException($"--context must be at least 8 (got {ctx})");
            }

            string work = parse.GetValue(workDir) ?? outPath + ".work";
            var config = new TrainingConfig
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                WeightDecay = parse.GetValue(decay),
                Beta2 = 0.95f,
                Seed = parse.GetValue(seed),
                MaxSequenceLength = ctx,
                MaxSteps = parse.GetValue(maxSteps),
                CheckpointDirectory = Path.Combine(work, "checkpoints"),
                CheckpointEvery = parse.GetValue(ckEvery),
                KeepCheckpoints = 1,
                Resume = true,
                EvalEvery = parse.GetValue(evalEvery),
                ProgressEvery = Math.Max(1, parse.GetValue(progressEvery)),
            };
            config.Validate();
            var clock = Stopwatch.StartNew();

            // 1. Tokenizer: deterministic in the texts and vocabulary size, so a resumed run re-derives the same one.
            var texts = PretrainCorpus.ReadTexts(dataPath);
            if (texts.Count == 0)
            {
                throw new ArgumentException($"{dataPath} has no rows with a non-empty \"text\" field");
            }

            Log($"tokenizer: training a {parse.GetValue(vocab)}-token BPE vocabulary on {texts.Count} rows ({texts.Sum(t => (long)t.Length)} chars)");
            var tokData = SentencePieceBpeTrainer.Train(texts, parse.GetValue(vocab), chatTemplate: PretrainTokenizerMetadata.ChatTemplate);

            // 2. Data: BOS + text + EOS per row (long rows split into context windows), packed into full sequences.
            var renderer = TrainingRenderer.Create(tokData);
            var train = PretrainCorpus.ReadPacked(dataPath, renderer, ctx);
            var val = valPath is null ? null : PretrainCorpus.ReadPacked(valPath, renderer, ctx);
            long trainTokens = train.Sum(e => (long)e.Tokens.Length);
            long valTokens = val?.Sum(e => (long)e.Tokens.Length) ?? 0;
            Log($"data: {train.Count} train sequences ({trainTokens} tokens), {val?.Count ?? 0} validation sequences ({valTokens} tokens); {clock.Elapsed.TotalSeconds:F1}s");

            // 3. Model and training.
            var scratch = new ScratchModelConfig
            {
                Dim = parse.GetValue(dim),
                HiddenDim = parse.GetValue(hidden),
                Layers = parse.GetValue(layers),
                Heads = parse.GetValue(heads),
                KvHeads = parse.GetValue(kvHeads),
                ContextLength = ctx,
                TiedEmbeddings = true,
            };
            int threadCount = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount;
            using var pool = new WorkerPool(threadCount);
            var model = LlamaTrainingModel.FromScratch(scratch.ToModelConfig(tokData.Tokens.Count), config.Seed, pool);
            long parameters = model.ParameterCount(trainableOnly: false);
            Log($"model: llama dim {scratch.Dim} layers {scratch.Layers} heads {scratch.Heads}/{model.Config.KvHeads} hidden {scratch.HiddenDim} context {ctx} vocab {tokData.Tokens.Count}: {parameters} parameters; {threadCount} threads");
            Directory.CreateDirectory(work);

            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true; // finish the step, checkpoint, then exit
                cts.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            var trainer = new Trainer(config);
            TrainingResult result;
            try
            {
                result = trainer.Train(model, train, val, new StderrProgress(), cts.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }

            if (result.ResumedFromStep > 0)
            {
                Log($"resumed from step {result.ResumedFromStep}");
            }

            if (result.StopReason == TrainingStopReason.Cancelled)
            {
                Log($"cancelled at step {result.Steps}; checkpoint {result.LastCheckpoint}; re-run the same command to resume");
                return 130;
            }

            // 4. Validation loss of the final weights (the trainer's last evaluation may predate the last step).
            double? valLoss = val is not { Count: > 0 } ? null
                : result.ValidationLosses is [.., var lastEval] && lastEval.Step == result.Steps ? lastEval.Loss
                : trainer.Evaluate(model, val, ctx);

            // 5. Export atomically: a reader never sees a half-written file.
            Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
            string tmp = outPath + ".tmp";
            ModelExporter.WriteGguf(model, tmp, PretrainTokenizerMetadata.From(tokData), parse.GetValue(f16), parse.GetValue(name));
            File.Move(tmp, outPath, overwrite: true);
            double wall = clock.Elapsed.TotalSeconds;
            Log($"wrote {outPath} ({new FileInfo(outPath).Length} bytes) in {wall:F0}s");
            int tail = Math.Min(20, result.Losses.Count);
            var summary = new
            {
                output = outPath,
                parameters,
                vocab_size = tokData.Tokens.Count,
                train_sequences = train.Count,
                train_tokens = trainTokens,
                validation_tokens = valTokens,
                steps = result.Steps,
                total_steps = result.TotalSteps,
                resumed_from_step = result.ResumedFromStep,
                trained_tokens = result.TrainedTokens,
                first_train_loss = result.Losses.Count > 0 ? result.Losses[0] : (double?)null,
                final_train_loss = tail > 0 ? result.Losses.Skip(result.Losses.Count - tail).Average() : (double?)null,
                validation_loss = valLoss,
                validation_losses = result.ValidationLosses.Select(v => new { step = v.Step, loss = v.Loss }),
                tokens_per_second = Math.Round(result.TokensPerSecond, 1),
                wall_seconds = Math.Round(wall, 1),
                threads = threadCount,
            };
            Console.WriteLine(JsonSerializer.Serialize(summary));
            return 0;
        }));
        return cmd;
    }

    private static void Log(string line) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    /// <summary>"step 30/900 epoch 1 loss 5.1234 lr 2.00E-003 tok/s 812 eta 00:17:01 val 5.01".</summary>
    private sealed class StderrProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => Log(
            $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:E2} tok/s {p.TokensPerSecond:F0} eta {p.Eta:hh\\:mm\\:ss}"
            + (p.ValidationLoss is { } v ? $" val {v:F4}" : ""));
    }
}
