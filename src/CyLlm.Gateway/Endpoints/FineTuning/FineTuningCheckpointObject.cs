namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's <c>fine_tuning.job.checkpoint</c>.</summary>
public sealed record FineTuningCheckpointObject(
    string Object,
    string Id,
    long CreatedAt,
    string FineTunedModelCheckpoint,
    long StepNumber,
    Dictionary<string, double> Metrics,
    string FineTuningJobId);
