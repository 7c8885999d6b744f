namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's <c>method</c> as reported, plus CyLlm's training method and LoRA settings.</summary>
public sealed record FineTuningMethodOut(string Type, string TrainingMethod, int? LoraRank, double? LoraAlpha, double? LoraDropout, string[]? LoraTargetModules);
