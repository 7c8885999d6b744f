using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>
/// A key never mints (or, by rotating, obtains the secret of) a key broader than itself, so a leaked restricted or
/// short-lived admin key cannot be turned into an unrestricted or everlasting one:
/// <list type="bullet">
/// <item>Scopes: only scopes the caller holds (<c>admin</c> implies <c>metrics</c>). Admin keys of the operator tenant
/// are exempt: they are the root that hands tenants their first keys, whatever scopes those need.</item>
/// <item>Models: a caller with an allow-list grants a subset of it; a request without <c>models</c> inherits the caller's
/// list (so old clients keep working and still get a bounded key); naming any other model is refused.</item>
/// <item>Expiry: a caller that expires grants keys expiring no later; a request without an expiry inherits the
/// caller's; a later one is refused. The rotation grace of the caller is not an expiry (its replacement has the same rights).</item>
/// </list>
/// Models and expiry bind operator keys too: an operator key with neither restriction (the unrestricted root) is unaffected.
/// With auth off there is no key and nothing is bounded. Refusals are 403 <c>insufficient_scope</c> naming the field.
/// </summary>
public static class KeyGrantPolicy
{
    /// <summary>The allow-list and expiry a key created by <paramref name="caller"/> gets; throws 403 when the request asks for more than the caller has.</summary>
    /// <param name="expiryParam">The request field that set <paramref name="expiresAt"/> (<c>expires_in</c> or <c>expires_at</c>), for the error.</param>
    public static (IReadOnlyList<string> Models, DateTimeOffset? ExpiresAt) Bound(
        Caller caller, IReadOnlyList<string> scopes, IReadOnlyList<string>? models, DateTimeOffset? expiresAt, string expiryParam)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(scopes);
        models ??= [];
        if (caller.KeyId is null)
        {
            return (models, expiresAt);
        }

        if (MissingScope(caller, scopes) is { } missing)
        {
            throw Broader("scopes", $"This key may grant only scopes it holds ({string.Join(", ", caller.Scopes)}), not '{missing}'. Fix: ask for a subset of those scopes, or ask an operator (tenant '{Caller.OperatorTenant}') for the key");
        }

        if (caller.AllowedModels.Count > 0)
        {
            if (models.Count == 0)
            {
                models = caller.AllowedModels;
            }
            else if (models.FirstOrDefault(m => !caller.MayUseModel(m)) is { } outside)
            {
                throw Broader("models", $"This key may grant only its own models ({string.Join(", ", caller.AllowedModels)}), not '{outside}'. Fix: list models from that set, or omit 'models' to inherit them");
            }
        }

        if (caller.ExpiresAt is { } limit)
        {
            if (expiresAt is null)
            {
                expiresAt = limit;
            }
            else if (expiresAt > limit)
            {
                throw Broader(expiryParam, $"This key expires at {limit:u} and may not grant a key that outlives it (asked {expiresAt:u}). Fix: ask for an earlier expiry, or omit it to inherit {limit:u}");
            }
        }

        return (models, expiresAt);
    }

    /// <summary>Throws 403 unless <paramref name="key"/> (to be rotated, which hands out a secret with its rights) is within <paramref name="caller"/>'s.</summary>
    public static void RequireWithin(Caller caller, ApiKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(key);
        if (caller.KeyId is null || caller.KeyId == key.Id)
        {
            return;
        }

        const string Fix = "Fix: rotate it with a key that has at least its scopes, models and lifetime, or ask an operator";
        if (MissingScope(caller, key.Scopes) is { } missing)
        {
            throw Broader(null, $"This key may not rotate key {key.Id}: that key has the scope '{missing}', which this key lacks. " + Fix);
        }

        if (caller.AllowedModels.Count > 0 && (key.AllowedModels.Count == 0 || key.AllowedModels.Any(m => !caller.MayUseModel(m))))
        {
            throw Broader(null, $"This key may not rotate key {key.Id}: that key may use models this key may not. " + Fix);
        }

        if (caller.ExpiresAt is { } limit && (key.ExpiresAt is not { } e || e > limit))
        {
            throw Broader(null, $"This key may not rotate key {key.Id}: that key outlives this one (which expires at {limit:u}). " + Fix);
        }
    }

    /// <summary>The first of <paramref name="scopes"/> the caller may not grant, or null (operator keys grant any). Unknown
    /// scope names are left to the key service, which answers 400 naming the valid ones.</summary>
    private static string? MissingScope(Caller caller, IReadOnlyList<string> scopes) =>
        caller.IsOperator ? null : scopes.FirstOrDefault(s => AuthScopes.All.Contains(s, StringComparer.Ordinal) && !caller.HasScope(s));

    private static ApiError Broader(string? param, string message) => new(403, ErrorCodes.InsufficientScope, message, param);
}
