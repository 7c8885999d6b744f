namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's <c>fine_tuning.job</c> object.</summary>
/// <param name="Status">validating_files, queued, running, succeeded, failed or cancelled.</param>
/// <param name="EstimatedFinish">Unix seconds, while running.</param>
public sealed record FineTuningJobObject(
    string Object,
    string Id,
    string Model,
    long CreatedAt,
    long? FinishedAt,
    string? FineTunedModel,
    string OrganizationId,
    string[] ResultFiles,
    string Status,
    string? ValidationFile,
    string TrainingFile,
    FineTuningHyperparametersOut Hyperparameters,
    long? TrainedTokens,
    FineTuningJobError? Error,
    int Seed,
    long? EstimatedFinish,
    object[] Integrations,
    Dictionary<string, string>? Metadata,
    string? UserProvidedSuffix,
    FineTuningMethodOut Method,
    int Priority);
