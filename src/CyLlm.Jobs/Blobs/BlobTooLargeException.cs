namespace CyLlm.Jobs.Blobs;

/// <summary>A write went past its byte limit; nothing of it was kept.</summary>
public sealed class BlobTooLargeException(string blobId, long maxBytes)
    : BlobStoreException(blobId, $"blob '{blobId}' is larger than the {maxBytes}-byte limit")
{
    public long MaxBytes { get; } = maxBytes;
}
