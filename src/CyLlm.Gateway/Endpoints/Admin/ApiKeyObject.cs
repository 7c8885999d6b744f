using System.Text.Json.Serialization;
using CyLlm.Gateway.Auth;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>An API key as the admin API shows it: never its hash; <see cref="Key"/> only in the answer that created it.
/// Times are Unix seconds. <see cref="Name"/> is the optional display name (null when none was given).</summary>
public sealed record ApiKeyObject(
    string Id,
    string Object,
    string Tenant,
    string Prefix,
    string? Name,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Models,
    long CreatedAt,
    long? ExpiresAt,
    long? RevokedAt,
    long? GraceUntil,
    string? ReplacedBy,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key)
{
    public static ApiKeyObject From(ApiKeyRecord k, DateTimeOffset now, string? secret = null) =>
        new(k.Id, "api_key", k.TenantId, k.Prefix, k.Name, k.Scopes, k.AllowedModels, k.CreatedAt.ToUnixTimeSeconds(), k.ExpiresAt?.ToUnixTimeSeconds(),
            k.RevokedAt?.ToUnixTimeSeconds(), k.RotationGraceUntil?.ToUnixTimeSeconds(), k.ReplacedBy, ApiKeyService.StatusOf(k, now), secret);

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"ApiKeyObject {{ Id = {Id}, Prefix = {Prefix} }}";
}
