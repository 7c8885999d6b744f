namespace CyLlm.Gateway.Endpoints.Embeddings;

public sealed record EmbeddingUsage(int PromptTokens, int TotalTokens);
