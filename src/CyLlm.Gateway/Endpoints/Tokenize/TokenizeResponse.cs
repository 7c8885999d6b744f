namespace CyLlm.Gateway.Endpoints.Tokenize;

/// <summary>vLLM's tokenize answer: the ids, their count and the context length.</summary>
public sealed record TokenizeResponse(int Count, int MaxModelLen, int[] Tokens);
