namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>The prompt as <c>echo</c> returns it before the completion: its text and, with <c>logprobs</c>, each prompt
/// token's logprob (the first null) with its alternatives.</summary>
public sealed record EchoedPrompt(string Text, TextLogprobs? Logprobs);
