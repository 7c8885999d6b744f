using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>POST /v1/admin/keys body.</summary>
public sealed class CreateKeyRequest
{
    /// <summary>Target tenant; only operator-tenant admins may name another tenant than their own. Null = own.</summary>
    public string? Tenant { get; set; }

    /// <summary>Optional display name: trimmed, at most 128 characters, no control characters.</summary>
    public string? Name { get; set; }

    /// <summary>Any of "inference", "admin", "metrics", "worker"; null = ["inference"].</summary>
    public List<string>? Scopes { get; set; }

    /// <summary>Model allow-list; null or empty = every model.</summary>
    public List<string>? Models { get; set; }

    /// <summary>Lifetime such as "30d" (s, m, h, d, w); exclusive with <see cref="ExpiresAt"/>.</summary>
    public string? ExpiresIn { get; set; }

    /// <summary>Expiry in Unix seconds.</summary>
    public long? ExpiresAt { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
