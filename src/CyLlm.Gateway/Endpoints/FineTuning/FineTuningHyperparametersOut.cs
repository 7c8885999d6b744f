namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>Hyperparameters as OpenAI reports them: a number, or "auto" until the trainer chose.</summary>
public sealed record FineTuningHyperparametersOut(object NEpochs, object BatchSize, object LearningRateMultiplier);
