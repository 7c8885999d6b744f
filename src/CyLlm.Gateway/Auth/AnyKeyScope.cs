namespace CyLlm.Gateway.Auth;

/// <summary>Endpoint metadata: the route needs a valid key but no particular scope (the route checks what it needs
/// itself). Used by <c>GET /v1/me</c>, which must answer an admin-only or metrics-only key as well as an inference key
/// so that the console can tell each what it may do.</summary>
public sealed record AnyKeyScope;
