using CyLlm.Gateway.Auth;

namespace CyLlm.Gateway.Endpoints.Me;

/// <summary>GET /v1/me: who the presented key is — its tenant, prefix (never the key), scopes, model allow-list and
/// expiry — so that a client such as the web console can show what it may do without trying each call.</summary>
/// <param name="Operator">True for admin keys of the operator tenant (they manage every tenant), and with auth off.</param>
/// <param name="AuthEnabled">False when the server runs with <c>--no-auth</c> (every request is the default tenant).</param>
/// <param name="ExpiresAt">Unix seconds, or null for a key that does not expire.</param>
public sealed record MeObject(
    string Object, string Tenant, string? KeyId, string? KeyPrefix, IReadOnlyList<string> Scopes, IReadOnlyList<string> Models,
    bool Operator, bool AuthEnabled, long? ExpiresAt)
{
    public static MeObject From(Caller caller, bool authEnabled) => new(
        "caller", caller.TenantId, caller.KeyId, caller.KeyPrefix, caller.Scopes, caller.AllowedModels,
        caller.IsOperator && caller.HasScope(AuthScopes.Admin), authEnabled, caller.ExpiresAt?.ToUnixTimeSeconds());
}
