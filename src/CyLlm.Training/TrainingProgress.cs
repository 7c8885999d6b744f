namespace CyLlm.Training;

/// <summary>One progress report: after optimizer step <see cref="Step"/> of <see cref="TotalSteps"/> (1-based).</summary>
/// <param name="Checkpoint">The checkpoint file this step wrote (atomically, with its .ok marker), or null; every step
/// that writes one is reported, so listeners learn of checkpoints without scanning the folder.</param>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    float LearningRate,
    double TokensPerSecond,
    double SamplesPerSecond,
    TimeSpan? Eta,
    double? ValidationLoss,
    string? Checkpoint = null);
