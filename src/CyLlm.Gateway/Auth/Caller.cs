namespace CyLlm.Gateway.Auth;

/// <summary>
/// Who is making a request, as the authentication middleware established it: the tenant every stored object is
/// scoped to, and the key's scopes and model allow-list. With auth off (loopback development only) every request
/// is <see cref="Anonymous"/> in <see cref="DefaultTenant"/>.
/// </summary>
/// <param name="KeyId">Id of the API key used, or null when auth is off.</param>
/// <param name="KeyPrefix">Visible prefix of that key (for logs and audit rows; never the key).</param>
/// <param name="Scopes">Granted scopes (<see cref="Scopes"/> constants).</param>
/// <param name="AllowedModels">Models the key may use; empty means all.</param>
public sealed record Caller(string TenantId, string? KeyId, string? KeyPrefix, IReadOnlyList<string> Scopes, IReadOnlyList<string> AllowedModels)
{
    public const string DefaultTenant = "default";

    /// <summary>The operator tenant: its admin keys manage every tenant (pass <c>tenant</c> explicitly).</summary>
    public const string OperatorTenant = "system";

    /// <summary>The caller when authentication is switched off: the default tenant with every scope.</summary>
    public static Caller Anonymous { get; } = new(DefaultTenant, null, null, [AuthScopes.Inference, AuthScopes.Admin], []);

    /// <summary>True for admin-capable callers of the operator tenant, and for everyone when auth is off (loopback development).</summary>
    public bool IsOperator => KeyId is null || TenantId == OperatorTenant;

    /// <summary>When the key used expires (null = never, or auth off): keys it mints may not outlive it.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool HasScope(string scope) => AuthScopes.Grants(Scopes, scope);

    public bool MayUseModel(string model) => AllowedModels.Count == 0 || AllowedModels.Contains(model, StringComparer.Ordinal);
}
