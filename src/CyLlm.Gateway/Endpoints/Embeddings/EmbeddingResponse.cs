namespace CyLlm.Gateway.Endpoints.Embeddings;

/// <summary>OpenAI's embedding list object.</summary>
public sealed record EmbeddingResponse(string Object, List<EmbeddingItem> Data, string Model, EmbeddingUsage Usage);
