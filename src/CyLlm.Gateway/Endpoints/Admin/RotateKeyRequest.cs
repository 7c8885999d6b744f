using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>POST /v1/admin/keys/{id}/rotate body (optional).</summary>
public sealed class RotateKeyRequest
{
    /// <summary>How long the old key keeps working, e.g. "24h" (default) or "0" (stops now).</summary>
    public string? Grace { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
