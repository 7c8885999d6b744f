namespace CyLlm.Training.FineTuning;

/// <summary>What a finished run produced.</summary>
/// <param name="ModelPath">The exported adapter folder (PEFT) or model file (full fine-tuning) to serve.</param>
/// <param name="IsAdapter">True when <paramref name="ModelPath"/> is a LoRA adapter over the base model.</param>
/// <param name="TrainedTokens">Target tokens seen by the optimizer (OpenAI's <c>trained_tokens</c>).</param>
/// <param name="StopReason">Why training ended: <c>completed</c>, <c>early_stopping</c>, <c>cancelled</c>.</param>
public sealed record FineTuneOutcome(string ModelPath, bool IsAdapter, long TrainedTokens, string StopReason, double? FinalTrainLoss, double? FinalValidLoss);
