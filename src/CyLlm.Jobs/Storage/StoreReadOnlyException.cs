namespace CyLlm.Jobs.Storage;

/// <summary>The database cannot be written (read-only file, folder or mount, or a read-only connection); nothing was changed.</summary>
public sealed class StoreReadOnlyException : JobStoreException
{
    public StoreReadOnlyException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
