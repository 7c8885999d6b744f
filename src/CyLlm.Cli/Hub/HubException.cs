namespace CyLlm.Cli.Hub;

/// <summary>
/// A model pull that cannot finish: an unknown repository, file or quantization tag, a refused token, an unreachable
/// Hub, an interrupted download or bytes that do not match the Hub's sha256. The message is one line meant for the user;
/// <see cref="Code"/> is the stable word recorded as the pull task's error code.
/// </summary>
public sealed class HubException : Exception
{
    public HubException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        Code = code;
    }

    /// <summary>repo_not_found, revision_not_found, file_not_found, ambiguous_file, access_denied, not_cached,
    /// unreachable, http_error, download_failed, sha256_mismatch, unverifiable or busy.</summary>
    public string Code { get; }
}
