namespace CyLlm.Jobs.Storage;

/// <summary>The database could not be opened or reached.</summary>
public sealed class StoreUnavailableException : JobStoreException
{
    public StoreUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
