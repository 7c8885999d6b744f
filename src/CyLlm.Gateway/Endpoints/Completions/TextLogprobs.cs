namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>Legacy logprobs: parallel lists per generated token; text_offset is the token's character offset
/// in the choice's text (echoed prompt included). With <c>echo</c> the first prompt token has null entries: nothing precedes it.</summary>
public sealed record TextLogprobs(List<string> Tokens, List<float?> TokenLogprobs, List<Dictionary<string, float>?> TopLogprobs, List<int> TextOffset);
