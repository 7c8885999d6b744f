namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>Legacy logprobs: parallel lists per generated token; text_offset is the token's character offset
/// in the completion text.</summary>
public sealed record TextLogprobs(List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffset);
