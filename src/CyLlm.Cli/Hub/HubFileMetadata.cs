namespace CyLlm.Cli.Hub;

/// <summary>What <c>HEAD /{repo}/resolve/{commit}/{file}</c> says about one file.</summary>
/// <param name="Etag">X-Linked-Etag (else ETag) without quotes: the LFS sha256 (64 hex) or, for a small file kept in git, its git blob sha1 (40 hex).</param>
/// <param name="Size">X-Linked-Size (else Content-Length); null when the Hub gave neither.</param>
/// <param name="Commit">X-Repo-Commit, else the commit asked for.</param>
public sealed record HubFileMetadata(string Etag, long? Size, string Commit);
