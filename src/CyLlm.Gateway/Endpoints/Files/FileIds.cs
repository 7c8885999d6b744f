using System.Security.Cryptography;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>File ids: <c>file-</c> followed by 24 random base-62 characters (~143 bits), safe as a file name.</summary>
public static class FileIds
{
    public const string Prefix = "file-";

    /// <summary>Longest id accepted in a path (ids made by batches are longer than new ones).</summary>
    public const int MaxLength = 96;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New()
    {
        Span<char> chars = stackalloc char[24];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return Prefix + new string(chars);
    }

    /// <summary>True for text shaped like a file id ([A-Za-z0-9_-] after the prefix), so lookups never see hostile input.</summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is null || id.Length <= Prefix.Length || id.Length > MaxLength || !id.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
