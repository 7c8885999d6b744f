namespace CyLlm.Jobs.Blobs;

/// <summary>A blob's bytes do not match its recorded length or SHA-256 (a lost chunk, a file changed on disk).</summary>
public sealed class BlobCorruptException(string blobId, string detail)
    : BlobStoreException(blobId, $"blob '{blobId}' is damaged: {detail}");
