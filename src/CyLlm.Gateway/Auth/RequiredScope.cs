namespace CyLlm.Gateway.Auth;

/// <summary>Endpoint metadata naming the scope a route needs (<c>.WithMetadata(new RequiredScope(AuthScopes.Admin))</c>);
/// routes without it need <see cref="AuthScopes.Inference"/>.</summary>
public sealed record RequiredScope(string Scope);
