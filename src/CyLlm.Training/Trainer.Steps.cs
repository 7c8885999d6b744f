using CyLlm.Training.Checkpoints;
using CyLlm.Training.Data;
using CyLlm.Training.Model;
using CyLlm.Training.Optimizers;

namespace CyLlm.Training;

/// <summary>One optimizer step and the mutable state of a run.</summary>
public sealed partial class Trainer
{
    private (double Loss, long Tokens, long Samples) TrainStep(LlamaTrainingModel model, AdamW optimizer, IReadOnlyList<TrainingExample> train,
        int[] perm, long first, long step, long total, int maxLen)
    {
        var c = _config;
        var batches = new List<TrainingBatch>(c.GradientAccumulation);
        long counted = 0, tokens = 0, samples = 0;
        for (int m = 0; m < c.GradientAccumulation; m++)
        {
            var slice = new List<TrainingExample>(c.BatchSize);
            for (long i = first + ((long)m * c.BatchSize); i < first + ((long)(m + 1) * c.BatchSize) && i < perm.Length; i++)
            {
                slice.Add(train[perm[i]]);
            }

            if (slice.Count == 0)
            {
                break;
            }

            var b = new TrainingBatch(slice, maxLen);
            batches.Add(b);
            counted += b.CountedTokens;
            tokens += b.Rows;
            samples += slice.Count;
        }

        model.ZeroGrad();
        double lossSum = 0;
        float scale = counted > 0 ? 1f / counted : 0f;
        for (int m = 0; m < batches.Count; m++)
        {
            ulong dropoutSeed = TrainingRng.Derive(c.Seed, 20, (ulong)step, (ulong)m).State;
            lossSum += model.ForwardBackward(batches[m], scale, dropoutSeed);
        }

        float clip = 1f;
        if (c.MaxGradNorm > 0)
        {
            double norm = optimizer.GradientNorm();
            if (norm > c.MaxGradNorm)
            {
                clip = (float)(c.MaxGradNorm / norm);
            }
        }

        float lr = LearningRateSchedule.At(step, total, c.WarmupSteps, c.LearningRate, c.MinLearningRateRatio);
        if (counted > 0)
        {
            optimizer.Update(lr, clip);
        }

        return (counted > 0 ? lossSum / counted : 0, tokens, samples);
    }

    /// <summary>Mutable progress of a run; converts to and from <see cref="CheckpointState"/>.</summary>
    private sealed class RunState(EarlyStopping early)
    {
        public EarlyStopping Early { get; } = early;
        public long Step { get; set; }
        public List<double> Losses { get; } = [];
        public List<long> ValidationSteps { get; } = [];
        public List<double> ValidationLosses { get; } = [];
        public double BestValidation { get; set; } = double.PositiveInfinity;
        public long? BestStep { get; set; }
        public long TrainedTokens { get; set; }
        public string? LastCheckpoint { get; set; }

        public void Restore(CheckpointState s)
        {
            Step = s.Step;
            Losses.AddRange(s.Losses);
            ValidationSteps.AddRange(s.ValidationSteps);
            ValidationLosses.AddRange(s.ValidationLosses);
            BestValidation = s.BestValidation;
            Early.Best = s.EarlyStopBest;
            Early.BadEvaluations = s.EarlyStopBad;
            TrainedTokens = s.TrainedTokens;
            BestStep = s.Metadata.TryGetValue("best_step", out var b) && long.TryParse(b, out long bs) ? bs : null;
        }

        public CheckpointState ToState(TrainingConfig c, AdamW optimizer, int epoch, long position, LlamaTrainingModel model, DateTimeOffset now) => new()
        {
            Step = Step,
            Epoch = epoch,
            DataPosition = position,
            Seed = c.Seed,
            RngState = TrainingRng.Derive(c.Seed, 20, (ulong)Step, 0).State,
            Mode = c.Lora is null ? "full" : "lora",
            LoraRank = c.Lora?.Rank ?? 0,
            LoraAlpha = c.Lora?.Alpha ?? 0,
            LoraDropout = c.Lora?.Dropout ?? 0,
            LoraTargets = c.Lora?.Targets.Select(t => t.ToString()).ToArray() ?? [],
            OptimizerStep = optimizer.Step,
            TrainLoss = Losses.Count > 0 ? Losses[^1] : 0,
            ValidationLoss = ValidationLosses.Count > 0 ? ValidationLosses[^1] : null,
            BestValidation = BestValidation,
            EarlyStopBad = Early.BadEvaluations,
            EarlyStopBest = Early.Best,
            Losses = [.. Losses],
            ValidationSteps = [.. ValidationSteps],
            ValidationLosses = [.. ValidationLosses],
            TrainedTokens = TrainedTokens,
            Parameters = optimizer.Parameters.Select(p => p.Name).ToArray(),
            ParameterLengths = optimizer.Parameters.Select(p => (long)p.Length).ToArray(),
            Metadata = new Dictionary<string, string>
            {
                ["best_step"] = BestStep?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                ["architecture"] = model.Config.Architecture.ToString(),
                ["layers"] = model.Config.Layers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["dim"] = model.Config.Dim.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            CreatedUtc = now,
        };
    }
}
