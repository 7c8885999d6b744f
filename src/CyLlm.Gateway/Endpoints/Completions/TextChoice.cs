namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>One choice of a text completion (or a streamed piece of it).</summary>
public sealed record TextChoice(string Text, int Index, TextLogprobs? Logprobs, string? FinishReason);
