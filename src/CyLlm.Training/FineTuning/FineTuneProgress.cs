namespace CyLlm.Training.FineTuning;

/// <summary>One progress report of a running job (also the <c>data</c> of a metrics event).</summary>
/// <param name="Step">Optimizer steps done, 1-based.</param>
/// <param name="TotalSteps">Planned optimizer steps (all epochs).</param>
/// <param name="Epoch">Current epoch, 1-based.</param>
/// <param name="TrainLoss">Mean masked cross-entropy of the last step (nats per target token).</param>
/// <param name="ValidLoss">Latest validation loss, when one was computed.</param>
/// <param name="LearningRate">Learning rate used by the last step.</param>
/// <param name="TokensPerSecond">Training tokens per second over the recent window.</param>
/// <param name="SamplesPerSecond">Training sequences per second over the recent window.</param>
/// <param name="Eta">Estimated remaining time, null until measurable.</param>
public sealed record FineTuneProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double TrainLoss,
    double? ValidLoss,
    double LearningRate,
    double TokensPerSecond,
    double SamplesPerSecond,
    TimeSpan? Eta)
{
    /// <summary>Percent done (0–99 while running; 100 is reserved for success).</summary>
    public int Percent => TotalSteps <= 0 ? 0 : (int)Math.Clamp(Step * 100 / TotalSteps, 0, 99);
}
