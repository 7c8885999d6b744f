using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Embeddings;

/// <summary>OpenAI's POST /v1/embeddings body. Input: a string, strings, token ids or lists of token ids.</summary>
public sealed class EmbeddingRequest
{
    public string? Model { get; set; }

    public JsonElement Input { get; set; }

    /// <summary>"float" (default) or "base64" (little-endian float32).</summary>
    public string? EncodingFormat { get; set; }

    /// <summary>Truncating embeddings is not supported: any value is rejected by name.</summary>
    public int? Dimensions { get; set; }

    public string? User { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
