namespace CyLlm.Jobs.Storage;

/// <summary>The database or its disk is full (SQLITE_FULL, PostgreSQL 53100); the write was rolled back and nothing was changed.</summary>
public sealed class StorageFullException : JobStoreException
{
    public StorageFullException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
