namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>Why a job failed (OpenAI's shape).</summary>
public sealed record FineTuningJobError(string Code, string Message, string? Param);
