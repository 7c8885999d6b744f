namespace CyLlm.Jobs.Blobs;

/// <summary>No complete blob has this id (never written, deleted, or its write did not finish).</summary>
public sealed class BlobNotFoundException(string blobId, string where)
    : BlobStoreException(blobId, $"no blob '{blobId}' in {where}");
