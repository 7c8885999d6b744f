using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Models;

/// <summary><c>POST /v1/admin/models</c>: a model file or folder the server can read, and the id clients will use
/// (default: the file name without extension).</summary>
public sealed class LoadModelRequest
{
    public string? Model { get; set; }

    public string? Id { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
