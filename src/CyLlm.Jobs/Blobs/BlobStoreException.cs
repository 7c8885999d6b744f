namespace CyLlm.Jobs.Blobs;

/// <summary>Base of the errors a blob store raises on purpose; the message names the blob.</summary>
public class BlobStoreException : Exception
{
    public BlobStoreException(string blobId, string message, Exception? inner = null)
        : base(message, inner)
    {
        BlobId = blobId;
    }

    public string BlobId { get; }
}
