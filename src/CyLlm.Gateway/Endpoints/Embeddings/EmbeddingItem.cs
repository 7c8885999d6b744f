namespace CyLlm.Gateway.Endpoints.Embeddings;

/// <summary>One embedding: a float array, or a base64 string of little-endian float32 when asked.</summary>
public sealed record EmbeddingItem(string Object, int Index, object Embedding);
