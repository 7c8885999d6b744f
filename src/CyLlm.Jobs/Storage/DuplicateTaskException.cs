namespace CyLlm.Jobs.Storage;

/// <summary>A task with the same id already exists.</summary>
public sealed class DuplicateTaskException : JobStoreException
{
    public DuplicateTaskException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
