namespace CyLlm.Jobs.Blobs;

/// <summary>
/// Where file contents live (uploads, batch outputs): a local folder (<see cref="LocalDirectoryBlobStore"/>) or the
/// job store itself in 1 MiB chunks (the SQLite and PostgreSQL stores), so replicas on one PostgreSQL share them. Both
/// pass the same conformance suite. A write is all or nothing: until it completes nothing of it is readable, and a
/// failed write leaves the blob as it was. Reads stream (one chunk or buffer in memory at a time) and check the recorded
/// length and SHA-256 as they reach the end.
/// </summary>
public interface IBlobStore
{
    /// <summary><c>local</c> or <c>store</c> (the value of <c>--file-storage</c>).</summary>
    string BlobKind { get; }

    /// <summary>
    /// Stores the rest of <paramref name="content"/> as <paramref name="blobId"/>, replacing an existing blob atomically.
    /// Throws <see cref="BlobTooLargeException"/> past <paramref name="maxBytes"/> (nothing is stored), and
    /// <see cref="ArgumentException"/> for an id that <see cref="BlobIds.IsValid"/> refuses.
    /// </summary>
    Task<BlobInfo> WriteBlobAsync(string blobId, Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default);

    /// <summary>Length and SHA-256 of a complete blob, or null when there is none.</summary>
    Task<BlobInfo?> GetBlobInfoAsync(string blobId, CancellationToken ct = default);

    /// <summary>
    /// A forward-only stream of the blob's bytes; throws <see cref="BlobNotFoundException"/> when there is none. The
    /// stream throws <see cref="BlobCorruptException"/> when the bytes do not match the recorded length or SHA-256.
    /// </summary>
    Task<Stream> OpenBlobAsync(string blobId, CancellationToken ct = default);

    /// <summary>Removes a blob; false when there was none (a retried delete).</summary>
    Task<bool> DeleteBlobAsync(string blobId, CancellationToken ct = default);
}
