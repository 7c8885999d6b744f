namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Prompt tokens served from a cache; 0 until the serving engine has a prefix cache.</summary>
public sealed record PromptTokensDetails(int CachedTokens);
