using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// The API key format and its one-way hash.
/// <list type="bullet">
/// <item>A key is <c>sk-cy-</c> followed by 54 base64url characters: 40 bytes (320 bits) from the OS CSPRNG.</item>
/// <item>The visible prefix is the first <see cref="PrefixLength"/> characters (<c>sk-cy-</c> + 8 characters = 48
/// bits); it appears in listings, logs and audit rows. The remaining 272 bits stay secret, above the 256 asked.</item>
/// <item>The store keeps only the lower-case hex SHA-256 of the whole key. A plain fast hash is right here: slow
/// password KDFs (bcrypt, scrypt, Argon2) defend low-entropy human passwords against guessing, and guessing a
/// 272-bit random secret is infeasible at any hash speed. A fast hash also lets the gateway look a key up per
/// request by its hash (an index lookup, no per-key salt), and comparing hashes of a preimage-resistant function
/// leaks nothing useful through timing.</item>
/// </list>
/// </summary>
public static class ApiKeySecret
{
    public const string Scheme = "sk-cy-";

    /// <summary>Random bytes per key (320 bits).</summary>
    public const int RandomBytes = 40;

    /// <summary>Characters of the key shown as its prefix (scheme + 8).</summary>
    public const int PrefixLength = 14;

    /// <summary>Length of a well-formed key: scheme + ceil(40 * 4 / 3) unpadded base64url characters.</summary>
    public static readonly int KeyLength = Scheme.Length + (((RandomBytes * 4) + 2) / 3);

    /// <summary>A new random key (show it once, store only <see cref="Hash"/>).</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(bytes);
        string key = Scheme + Base64Url(bytes);
        Debug.Assert(key.Length == KeyLength, "key length follows the byte count");
        return key;
    }

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes (64 characters).</summary>
    public static string Hash(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The displayable start of a key (never more than <see cref="PrefixLength"/> characters).</summary>
    public static string Prefix(string key) => key.Length <= PrefixLength ? key : key[..PrefixLength];

    /// <summary>A safe hint for error messages about a presented value that is not a known key: its prefix
    /// only when it has our shape (so a pasted password or another provider's key is never echoed).</summary>
    public static string Describe(string presented) =>
        presented.StartsWith(Scheme, StringComparison.Ordinal) && presented.Length == KeyLength ? $"'{Prefix(presented)}…'" : "the presented key";

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
