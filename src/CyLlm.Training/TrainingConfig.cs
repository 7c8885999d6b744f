using CyLlm.Training.Lora;

namespace CyLlm.Training;

/// <summary>
/// Everything that decides a training run. Same config + same data + same seed + same thread count ⇒ the same loss
/// sequence, bit for bit, including across a checkpoint/resume.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>LoRA settings; null = full-parameter training.</summary>
    public LoraSettings? Lora { get; init; }

    public int Epochs { get; init; } = 1;

    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Cosine decay ends at LearningRate·MinLearningRateRatio.</summary>
    public float MinLearningRateRatio { get; init; } = 0.1f;

    public int WarmupSteps { get; init; }
    public float WeightDecay { get; init; } = 0.0f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public float MaxGradNorm { get; init; } = 1.0f;

    public long Seed { get; init; } = 1;

    /// <summary>Longer examples are truncated to this many tokens (0 = model context).</summary>
    public int MaxSequenceLength { get; init; }

    /// <summary>Stop after this many optimizer steps (0 = epochs decide).</summary>
    public long MaxSteps { get; init; }

    public bool Shuffle { get; init; } = true;

    /// <summary>Folder for checkpoints (null = none are written).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Write a checkpoint every N steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Checkpoints kept besides the best one.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Continue from the latest valid checkpoint in <see cref="CheckpointDirectory"/>, if any.</summary>
    public bool Resume { get; init; }

    /// <summary>Evaluate on the validation set every N steps (0 = at the end of each epoch).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Stop after this many evaluations without improvement (0 = off).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>An evaluation improves when it beats the best by more than this.</summary>
    public float EarlyStoppingMinDelta { get; init; }

    /// <summary>Report progress every N steps (the last step is always reported).</summary>
    public int ProgressEvery { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message for an invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(Epochs >= 1, $"epochs must be at least 1 (got {Epochs})");
        Check(BatchSize >= 1, $"batch size must be at least 1 (got {BatchSize})");
        Check(GradientAccumulation >= 1, $"gradient accumulation must be at least 1 (got {GradientAccumulation})");
        Check(LearningRate > 0 && float.IsFinite(LearningRate), $"learning rate must be positive (got {LearningRate})");
        Check(MinLearningRateRatio is >= 0 and <= 1, "min learning rate ratio must be within 0..1");
        Check(WarmupSteps >= 0 && CheckpointEvery >= 0 && EvalEvery >= 0 && MaxSteps >= 0 && MaxSequenceLength >= 0, "step counts and the sequence length must not be negative");
        Check(EarlyStoppingPatience >= 0 && EarlyStoppingMinDelta >= 0, "early stopping patience and min delta must not be negative");
        Check(KeepCheckpoints >= 1, "keep at least one checkpoint");
        Check(MaxGradNorm >= 0, "max gradient norm must not be negative");
        if (Lora is { } l)
        {
            Check(l.Rank is >= 1 and <= 1024, $"LoRA rank must be within 1..1024 (got {l.Rank})");
            Check(l.Alpha > 0, "LoRA alpha must be positive");
            Check(l.Dropout is >= 0 and < 1, "LoRA dropout must be within [0, 1)");
        }
    }
}
