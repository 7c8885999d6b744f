using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>OpenAI's <c>stream_options</c>.</summary>
public sealed class StreamOptions
{
    /// <summary>Send a last chunk with <c>usage</c> and empty <c>choices</c> before [DONE].</summary>
    public bool? IncludeUsage { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
