namespace CyLlm.Training;

/// <summary>The outcome of <see cref="Trainer.Train"/>.</summary>
public sealed record TrainingResult
{
    public required TrainingStopReason StopReason { get; init; }

    /// <summary>Optimizer steps completed in total (including those before a resume).</summary>
    public required long Steps { get; init; }

    public required long TotalSteps { get; init; }

    /// <summary>Mean training loss of every step, step 1 first (restored from the checkpoint on resume).</summary>
    public required IReadOnlyList<double> Losses { get; init; }

    /// <summary>(step, loss) of every validation evaluation.</summary>
    public required IReadOnlyList<(long Step, double Loss)> ValidationLosses { get; init; }

    public double? BestValidationLoss { get; init; }

    /// <summary>The step this run resumed from (0 = fresh start).</summary>
    public long ResumedFromStep { get; init; }

    /// <summary>Checkpoints skipped while looking for the latest valid one (path: reason).</summary>
    public IReadOnlyList<string> SkippedCheckpoints { get; init; } = [];

    public string? LastCheckpoint { get; init; }

    public double TokensPerSecond { get; init; }
    public long TrainedTokens { get; init; }
}
