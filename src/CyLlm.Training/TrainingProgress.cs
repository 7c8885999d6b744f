namespace CyLlm.Training;

/// <summary>One progress report: after optimizer step <see cref="Step"/> of <see cref="TotalSteps"/> (1-based).</summary>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    float LearningRate,
    double TokensPerSecond,
    double SamplesPerSecond,
    TimeSpan? Eta,
    double? ValidationLoss);
