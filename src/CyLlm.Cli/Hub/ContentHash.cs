using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Cli.Hub;

/// <summary>
/// The check a downloaded file must pass before it enters the cache: the Hub names an LFS file by its sha256 (64 hex)
/// and a small file kept in git by its git blob sha1 (40 hex: sha1 over "blob {size}\0" and the bytes).
/// </summary>
public sealed class ContentHash : IDisposable
{
    private readonly IncrementalHash hash;
    private readonly byte[]? gitHeader;

    private ContentHash(IncrementalHash hash, string expected, string algorithm, byte[]? gitHeader)
    {
        this.hash = hash;
        this.gitHeader = gitHeader;
        Expected = expected;
        Algorithm = algorithm;
        Reset();
    }

    /// <summary>The lower-case hex digest the bytes must have.</summary>
    public string Expected { get; }

    /// <summary>sha256 or git-sha1, for messages.</summary>
    public string Algorithm { get; }

    /// <summary>The check for <paramref name="etag"/>; a git sha1 needs the size. Throws <see cref="HubException"/> for an etag that is neither.</summary>
    public static ContentHash For(string etag, long? size, string file)
    {
        if (etag.Length == 64 && etag.All(char.IsAsciiHexDigitLower))
        {
            return new ContentHash(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), etag, "sha256", null);
        }

        if (etag.Length == 40 && etag.All(char.IsAsciiHexDigitLower) && size is { } n)
        {
            return new ContentHash(IncrementalHash.CreateHash(HashAlgorithmName.SHA1), etag, "git-sha1", Encoding.ASCII.GetBytes($"blob {n}\0"));
        }

        throw new HubException("unverifiable", $"the Hub's ETag for {file} ('{etag}') is neither a sha256 nor a git sha1, so its bytes cannot be verified");
    }

    /// <summary>Starts over (the server sent the whole file instead of the rest).</summary>
    public void Reset()
    {
        hash.GetHashAndReset();
        if (gitHeader is not null)
        {
            hash.AppendData(gitHeader);
        }
    }

    public void Append(ReadOnlySpan<byte> bytes) => hash.AppendData(bytes);

    /// <summary>The digest of everything appended, as lower-case hex.</summary>
    public string Finish() => Convert.ToHexStringLower(hash.GetHashAndReset());

    public void Dispose() => hash.Dispose();
}
