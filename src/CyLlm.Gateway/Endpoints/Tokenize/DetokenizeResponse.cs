namespace CyLlm.Gateway.Endpoints.Tokenize;

/// <summary>vLLM's detokenize answer.</summary>
public sealed record DetokenizeResponse(string Prompt);
