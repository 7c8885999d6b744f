namespace CyLlm.Engine.Sampling;

/// <summary>A token and its log-probability (natural log) under the sampling distribution before temperature.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
