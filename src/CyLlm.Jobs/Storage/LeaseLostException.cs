namespace CyLlm.Jobs.Storage;

/// <summary>The caller's lease expired or was taken over by another worker (its epoch is stale); it must stop working on the task.</summary>
public sealed class LeaseLostException : JobStoreException
{
    public LeaseLostException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
