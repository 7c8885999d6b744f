using System.Buffers;

namespace CyLlm.Gateway.Auth;

/// <summary>Tenant id syntax: 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit (safe in
/// URLs, file names and log lines).</summary>
public static class TenantIds
{
    private static readonly SearchValues<char> Allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");

    public static bool IsValid(string? id) =>
        id is { Length: >= 1 and <= 64 } && char.IsAsciiLetterOrDigit(id[0]) && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="id"/> is valid.</summary>
    public static void Check(string? id)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"tenant id '{id}' is invalid: use 1-64 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
    }
}
