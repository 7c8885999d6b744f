using System.Diagnostics;
using CyLlm.Training.Checkpoints;
using CyLlm.Training.Data;
using CyLlm.Training.Model;
using CyLlm.Training.Optimizers;

namespace CyLlm.Training;

/// <summary>
/// Runs a training job: seeded per-epoch shuffles, micro-batches with gradient accumulation, global-norm clipping,
/// AdamW with warm-up + cosine decay, periodic validation with early stopping, atomic checkpoints (keep last K + best)
/// and bit-exact resume. Every random draw derives from (seed, epoch) or (seed, step, micro-batch), so a resumed run
/// replays exactly the numbers an uninterrupted one would. Split: Trainer.Steps.cs.
/// </summary>
public sealed partial class Trainer
{
    private readonly TrainingConfig _config;
    private readonly TimeProvider _time;

    public Trainer(TrainingConfig config, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        _time = time ?? TimeProvider.System;
    }

    public TrainingConfig Config => _config;

    /// <summary>
    /// Trains <paramref name="model"/> in place (attaching LoRA modules first when the config asks for LoRA and the model
    /// has none). Cancellation lets the step in flight finish, writes a checkpoint and returns with
    /// <see cref="TrainingStopReason.Cancelled"/>.
    /// </summary>
    public TrainingResult Train(
        LlamaTrainingModel model,
        IReadOnlyList<TrainingExample> train,
        IReadOnlyList<TrainingExample>? validation = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
        {
            throw new ArgumentException("the training set is empty");
        }

        var c = _config;
        if (c.Lora is { } lora && model.LoraSettings is null)
        {
            model.AttachLora(lora, c.Seed);
        }

        int maxLen = c.MaxSequenceLength > 0 ? Math.Min(c.MaxSequenceLength, model.Config.ContextLength) : model.Config.ContextLength;
        var trainable = model.TrainableParameters();
        var optimizer = new AdamW(trainable, c.Beta1, c.Beta2, 1e-8f, c.WeightDecay, model.Pool);
        int perStep = c.BatchSize * c.GradientAccumulation;
        long stepsPerEpoch = (train.Count + perStep - 1) / perStep;
        long total = c.Epochs * stepsPerEpoch;
        if (c.MaxSteps > 0)
        {
            total = Math.Min(total, c.MaxSteps);
        }

        var run = new RunState(new EarlyStopping(c.EarlyStoppingPatience, c.EarlyStoppingMinDelta));
        var store = c.CheckpointDirectory is { } dir ? new CheckpointStore(dir) : null;
        IReadOnlyList<string> skipped = [];
        long resumedFrom = 0;
        if (store is not null && c.Resume)
        {
            var scan = store.FindLatest();
            skipped = scan.Skipped;
            if (scan.Latest is { } latest)
            {
                var st = CheckpointStore.Load(latest, optimizer);
                model.MarkParametersChanged();
                if (st.Seed != c.Seed)
                {
                    throw new ArgumentException($"checkpoint {Path.GetFileName(latest)} was trained with seed {st.Seed}, this run uses {c.Seed}");
                }

                run.Restore(st);
                resumedFrom = st.Step;
                run.LastCheckpoint = latest;
            }
        }

        long startTicks = _time.GetTimestamp();
        long tokensThisRun = 0, samplesThisRun = 0;
        var reason = TrainingStopReason.Completed;
        int[] perm = [];
        int permEpoch = -1;
        while (run.Step < total)
        {
            long step = run.Step;
            int epoch = (int)(step / stepsPerEpoch);
            long posInEpoch = step % stepsPerEpoch;
            if (permEpoch != epoch)
            {
                perm = Permutation(train.Count, epoch);
                permEpoch = epoch;
            }

            var (loss, tokens, samples) = TrainStep(model, optimizer, train, perm, posInEpoch * perStep, step, total, maxLen);
            run.Step = step + 1;
            run.Losses.Add(loss);
            run.TrainedTokens += tokens;
            tokensThisRun += tokens;
            samplesThisRun += samples;

            bool epochEnd = run.Step % stepsPerEpoch == 0;
            bool evalNow = validation is { Count: > 0 } && (c.EvalEvery > 0 ? run.Step % c.EvalEvery == 0 : epochEnd);
            bool stop = false;
            if (evalNow)
            {
                double v = Evaluate(model, validation!, maxLen);
                run.ValidationSteps.Add(run.Step);
                run.ValidationLosses.Add(v);
                stop = run.Early.Observe(v);
                if (v <= run.BestValidation)
                {
                    run.BestValidation = v;
                    run.BestStep = run.Step;
                }
            }

            bool last = run.Step >= total;
            if (stop)
            {
                reason = TrainingStopReason.EarlyStopping;
            }
            else if (cancellationToken.IsCancellationRequested && !last)
            {
                reason = TrainingStopReason.Cancelled;
            }

            bool finishing = last || reason != TrainingStopReason.Completed;
            string? written = null;
            if (store is not null && (finishing || (c.CheckpointEvery > 0 && run.Step % c.CheckpointEvery == 0)))
            {
                run.LastCheckpoint = written = store.Write(run.ToState(c, optimizer, epoch, (run.Step - (epoch * stepsPerEpoch)) * perStep, model, _time.GetUtcNow()), optimizer);
                store.Prune(c.KeepCheckpoints, run.BestStep);
            }

            if (progress is not null && (finishing || written is not null || run.Step % Math.Max(1, c.ProgressEvery) == 0))
            {
                double secs = _time.GetElapsedTime(startTicks).TotalSeconds;
                double tps = secs > 0 ? tokensThisRun / secs : 0;
                double sps = secs > 0 ? samplesThisRun / secs : 0;
                long doneThisRun = run.Step - resumedFrom;
                TimeSpan? eta = doneThisRun > 0 && secs > 0 ? TimeSpan.FromSeconds(secs / doneThisRun * (total - run.Step)) : null;
                progress.Report(new TrainingProgress(run.Step, total, epoch + 1, loss,
                    LearningRateSchedule.At(step, total, c.WarmupSteps, c.LearningRate, c.MinLearningRateRatio), tps, sps, eta,
                    run.ValidationLosses.Count > 0 ? run.ValidationLosses[^1] : null, written));
            }

            if (finishing)
            {
                break;
            }
        }

        double elapsed = _time.GetElapsedTime(startTicks).TotalSeconds;
        return new TrainingResult
        {
            StopReason = reason,
            Steps = run.Step,
            TotalSteps = total,
            Losses = run.Losses.ToArray(),
            ValidationLosses = run.ValidationSteps.Zip(run.ValidationLosses).ToArray(),
            BestValidationLoss = double.IsPositiveInfinity(run.BestValidation) ? null : run.BestValidation,
            ResumedFromStep = resumedFrom,
            SkippedCheckpoints = skipped,
            LastCheckpoint = run.LastCheckpoint,
            TokensPerSecond = elapsed > 0 ? tokensThisRun / elapsed : 0,
            TrainedTokens = run.TrainedTokens,
        };
    }

    /// <summary>Mean loss per counted token over <paramref name="data"/> (no dropout, no gradients).</summary>
    public double Evaluate(LlamaTrainingModel model, IReadOnlyList<TrainingExample> data, int maxLen)
    {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < data.Count; i += _config.BatchSize)
        {
            var slice = new List<TrainingExample>();
            for (int j = i; j < Math.Min(i + _config.BatchSize, data.Count); j++)
            {
                slice.Add(data[j]);
            }

            var batch = new TrainingBatch(slice, maxLen);
            sum += model.Forward(batch, training: false);
            count += batch.CountedTokens;
        }

        return count > 0 ? sum / count : 0;
    }

    /// <summary>The order of the examples in <paramref name="epoch"/>: a seeded Fisher–Yates shuffle (identity when shuffling is off).</summary>
    public int[] Permutation(int count, int epoch)
    {
        var p = new int[count];
        for (int i = 0; i < count; i++)
        {
            p[i] = i;
        }

        if (_config.Shuffle)
        {
            var rng = TrainingRng.Derive(_config.Seed, 10, (ulong)epoch);
            for (int i = count - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
        }

        Debug.Assert(p.Length == count);
        return p;
    }
}
