namespace CyLlm.Gateway.Auth;

/// <summary>
/// A key or tenant operation that cannot be done as asked: no such key or tenant (<see cref="Status"/> 404) or a
/// conflict such as rotating an already revoked key (400). The CLI prints <see cref="Exception.Message"/> as one
/// line; the admin API maps it to an error object.
/// </summary>
public sealed class AuthAdminException(int status, string message) : InvalidOperationException(message)
{
    /// <summary>404 for a missing key or tenant, 400 for a conflict.</summary>
    public int Status { get; } = status;
}
