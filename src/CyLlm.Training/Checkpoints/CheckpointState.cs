namespace CyLlm.Training.Checkpoints;

/// <summary>
/// The JSON header of a checkpoint: where training stands and what the binary payload holds. Payload (after the
/// header): for each entry of <see cref="Parameters"/>, in order, the F32 weights, then AdamW m, then AdamW v.
/// </summary>
public sealed record CheckpointState
{
    public required long Step { get; init; }
    public required int Epoch { get; init; }

    /// <summary>Examples of the current epoch's permutation already consumed.</summary>
    public required long DataPosition { get; init; }

    public required long Seed { get; init; }

    /// <summary>State of the run's RNG stream at this step (shuffles and dropout derive from seed + step, so this is a check).</summary>
    public required ulong RngState { get; init; }

    /// <summary>"lora" or "full".</summary>
    public required string Mode { get; init; }

    public int LoraRank { get; init; }
    public float LoraAlpha { get; init; }
    public float LoraDropout { get; init; }
    public string[] LoraTargets { get; init; } = [];

    public required long OptimizerStep { get; init; }
    public required double TrainLoss { get; init; }
    public double? ValidationLoss { get; init; }
    public double BestValidation { get; init; } = double.PositiveInfinity;
    public int EarlyStopBad { get; init; }
    public double EarlyStopBest { get; init; } = double.PositiveInfinity;
    public required double[] Losses { get; init; }
    public long[] ValidationSteps { get; init; } = [];
    public double[] ValidationLosses { get; init; } = [];
    public long TrainedTokens { get; init; }
    public required string[] Parameters { get; init; }
    public required long[] ParameterLengths { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public DateTimeOffset CreatedUtc { get; init; }
}
