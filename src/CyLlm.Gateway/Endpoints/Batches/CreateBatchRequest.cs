using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>OpenAI's POST /v1/batches body.</summary>
public sealed class CreateBatchRequest
{
    /// <summary>An uploaded file of purpose <c>batch</c>.</summary>
    public string? InputFileId { get; set; }

    /// <summary><c>/v1/chat/completions</c>, <c>/v1/completions</c> or <c>/v1/embeddings</c>; every line's url must equal it.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Only <c>24h</c> (as OpenAI).</summary>
    public string? CompletionWindow { get; set; }

    /// <summary>Up to 16 string pairs; keys ≤ 64 characters, values ≤ 512.</summary>
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
