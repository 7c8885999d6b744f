namespace CyLlm.Engine.Sampling;

/// <summary>The chosen token, its log-probability and, when asked, the top alternatives (most likely first).</summary>
public readonly record struct SampleResult(int TokenId, float Logprob, TokenLogprob[]? TopLogprobs);
