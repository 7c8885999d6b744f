namespace CyLlm.Jobs.Storage;

/// <summary>
/// A stored API key (storage only; authentication lives in the gateway). The key itself is never stored: only its hash
/// and a short visible prefix for display and audit.
/// </summary>
/// <param name="KeyHash">Hash of the full key (the gateway chooses the algorithm, e.g. hex SHA-256); unique.</param>
/// <param name="Prefix">Visible start of the key, e.g. <c>sk-cy-ab12</c>.</param>
/// <param name="Scopes">Granted scopes, e.g. <c>inference</c>, <c>batches</c>, <c>admin</c>.</param>
/// <param name="AllowedModels">Models the key may use; empty means all.</param>
/// <param name="RotationGraceUntil">After a rotation: the old key stays valid until this time, then only the replacement.</param>
/// <param name="ReplacedBy">Id of the key that replaced this one in a rotation.</param>
/// <param name="Name">Operator-chosen display name (trimmed, at most 128 characters); null when none was given. Rotation carries it over.</param>
public sealed record ApiKeyRecord(
    string Id,
    string TenantId,
    string KeyHash,
    string Prefix,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> AllowedModels,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? RotationGraceUntil,
    string? ReplacedBy,
    string? Name = null)
{
    /// <summary>True when the key may authenticate at <paramref name="now"/>: not revoked, not expired, not past its rotation grace.</summary>
    public bool IsUsableAt(DateTimeOffset now) =>
        (RevokedAt is null || now < RevokedAt)
        && (ExpiresAt is null || now < ExpiresAt)
        && (RotationGraceUntil is null || now < RotationGraceUntil);
}
