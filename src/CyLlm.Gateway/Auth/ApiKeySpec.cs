namespace CyLlm.Gateway.Auth;

/// <summary>What a new key may do.</summary>
/// <param name="Scopes">At least one of <see cref="AuthScopes.All"/>.</param>
/// <param name="Models">Model allow-list (ids as clients pass them); empty = every model.</param>
/// <param name="ExpiresAt">When the key stops working; null = never.</param>
/// <param name="Name">Optional display name so operators can tell keys apart; see <see cref="ApiKeyService.CheckName"/>.</param>
public sealed record ApiKeySpec(string TenantId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Models, DateTimeOffset? ExpiresAt, string? Name = null);
