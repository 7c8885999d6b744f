using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>POST /v1/admin/tenants body: creates or updates a tenant.</summary>
public sealed class TenantRequest
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>A disabled tenant's keys are refused with 401.</summary>
    public bool? Disabled { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
